package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"talbar/server/dashboard"
	"talbar/server/store"
)

// stdin is where user add reads the password; tests replace it.
var stdin io.Reader = os.Stdin

// userAdd creates a dashboard user. The password is read from the first line of standard input,
// never from a flag, so it stays out of shell history and process listings:
//
//	printf '%s\n' "$PASSWORD" | server user add --db data/talbar.db --name hq --role admin
func userAdd(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	name := fs.String("name", "", "user name for signing in")
	role := fs.String("role", store.WebViewer, "admin, viewer (headquarters) or officer (division)")
	unitCode := fs.String("unit", "", "an officer's aimag code or MN-1 for the capital")
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		hash, err := dashboard.HashPassword(strings.TrimRight(line, "\r\n"))
		if err != nil {
			return err
		}
		u, err := s.CreateUser(ctx, *name, *role, *unitCode, hash)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s (%s, %s %s) created\n", u.ID, u.Name, u.Role, u.Unit)
		return nil
	}
}

func userList(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		us, err := s.ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, u.Unit)
		}
		return nil
	}
}
