package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"talbar/assets"
	"talbar/server/store"
	"talbar/shared/i18n"
	"talbar/shared/survey"
)

// surveyAdd adds a version to the survey catalogue from a JSON file holding one version (the form
// of one entry of assets/survey/catalogue.json's "versions"). Problems are printed in --lang, one
// a line, and nothing is stored; devices get the new version on their next pull.
func surveyAdd(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	file := fs.String("file", "", "JSON file of the new version")
	by := fs.String("by", "admin", "who adds it (kept with the version)")
	lang := fs.String("lang", i18n.Default, "language of the messages: mn or en")
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		cat, err := i18n.New(assets.Translations())
		if err != nil {
			return err
		}
		b, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("read %s: %w", *file, err)
		}
		v, ps := survey.ParseVersion(b)
		if len(ps) == 0 {
			ps, err = s.AddSurveyVersion(ctx, v, *by)
			if err != nil {
				return err
			}
		}
		if len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintln(stdout, cat.SurveyProblem(*lang, p))
			}
			return errors.New(cat.T(*lang, "survey.upload_refused"))
		}
		fmt.Fprintln(stdout, cat.T(*lang, "survey.upload_done", v.Version, len(v.Questions)))
		return nil
	}
}

// surveyShow prints the catalogue the server sends to devices, in the file's form.
func surveyShow(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		cat, err := s.SurveyCatalogue(ctx, true)
		if err != nil {
			return err
		}
		_, err = stdout.Write(cat.JSON())
		return err
	}
}
