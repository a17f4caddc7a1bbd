package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"talbar/server/store/sqlite"
	"talbar/syncproto"
)

func init() {
	commands["inspector add"] = inspectorAdd
	commands["inspector code"] = inspectorCode
	commands["inspector list"] = inspectorList
	commands["device revoke"] = deviceRevoke
	commands["device list"] = deviceList
	commands["epoch rotate"] = epochRotate
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// adminStore opens the store for a one-shot admin command, logging only warnings.
func adminStore(ctx context.Context, db string, stderr io.Writer) (*sqlite.DB, error) {
	units, err := Units()
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return openStore(ctx, Config{DB: db}, units, log)
}

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", env("TALBAR_DB", filepath.Join("data", "talbar.db")), "SQLite database file")
}

const codeTTL = 7 * 24 * time.Hour

// inspectorAdd creates an inspector and prints the one-time enrollment code alone on the last line.
func inspectorAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspector add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	name := fs.String("name", "", "inspector's name")
	unitCode := fs.String("unit", "", "soum or district code (an aimag or MN-1 for an officer)")
	role := fs.String("role", syncproto.RoleInspector, "inspector or officer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := adminStore(ctx, *db, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	in, err := s.CreateInspector(ctx, *name, *unitCode, *role)
	if err != nil {
		return fmt.Errorf("add inspector: %w", err)
	}
	code, err := s.IssueCode(ctx, in.ID, codeTTL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "inspector %s (%s, %s %s); enrollment code valid for 7 days:\n%s\n", in.ID, in.Name, in.Role, in.Unit, code)
	return nil
}

// inspectorCode issues a new enrollment code for an existing inspector (a new or replaced device).
func inspectorCode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspector code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	id := fs.String("id", "", "inspector id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := adminStore(ctx, *db, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	code, err := s.IssueCode(ctx, *id, codeTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, code)
	return nil
}

func inspectorList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspector list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := adminStore(ctx, *db, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	ins, err := s.Inspectors(ctx)
	if err != nil {
		return err
	}
	for _, in := range ins {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", in.ID, in.Unit, in.Role, in.Name)
	}
	return nil
}

func deviceRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("device revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	id := fs.String("id", "", "device id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := adminStore(ctx, *db, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokeDevice(ctx, *id); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "revoked", *id)
	return nil
}

func deviceList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("device list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := adminStore(ctx, *db, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	devs, err := s.Devices(ctx)
	if err != nil {
		return err
	}
	for _, d := range devs {
		state := "active"
		if d.RevokedAt != nil {
			state = "revoked"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\taccepted=%d\trejected=%d\tpending=%d\n", d.ID, d.Unit, d.InspectorName, state, d.Accepted, d.Rejected, d.OutboxPending)
	}
	return nil
}

// epochRotate gives a restored store a new epoch so devices re-send what it lost.
func epochRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("epoch rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := adminStore(ctx, *db, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	e, err := s.RotateEpoch(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, e)
	return nil
}
