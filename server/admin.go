package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"talbar/server/store"
	"talbar/syncproto"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// adminRun is the body of a one-shot admin command: it declares its flags on fs and returns the
// action to run once they are parsed and the store is open.
type adminRun func(fs *flag.FlagSet) func(ctx context.Context, s store.Store, stdout io.Writer) error

// adminCommand wraps an admin body with what every admin command does: parse --db or
// --database-url and the body's
// flags, open the store logging only warnings, run, close.
func adminCommand(name string, body adminRun) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		db := fs.String("db", env("TALBAR_DB", filepath.Join("data", "talbar.db")), "SQLite database file")
		dbURL := fs.String("database-url", env("TALBAR_DATABASE_URL", ""), "PostgreSQL URL (postgres://…) instead of --db")
		run := body(fs)
		if err := fs.Parse(args); err != nil {
			return err
		}
		units, err := Units()
		if err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		s, err := openStore(ctx, Config{DB: *db, DatabaseURL: *dbURL}, units, log)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := run(ctx, s, stdout); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}

const codeTTL = 7 * 24 * time.Hour

// inspectorAdd creates an inspector and prints the one-time enrollment code alone on the last line.
func inspectorAdd(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	name := fs.String("name", "", "inspector's name")
	unitCode := fs.String("unit", "", "soum or district code (an aimag or MN-1 for an officer)")
	role := fs.String("role", syncproto.RoleInspector, "inspector or officer")
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		in, err := s.CreateInspector(ctx, *name, *unitCode, *role)
		if err != nil {
			return err
		}
		code, err := s.IssueCode(ctx, in.ID, codeTTL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "inspector %s (%s, %s %s); enrollment code valid for 7 days:\n%s\n", in.ID, in.Name, in.Role, in.Unit, code)
		return nil
	}
}

// inspectorCode issues a new enrollment code for an existing inspector (a new or replaced device).
func inspectorCode(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	id := fs.String("id", "", "inspector id")
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		code, err := s.IssueCode(ctx, *id, codeTTL)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, code)
		return nil
	}
}

// inspectorCancelCodes cancels an inspector's unused enrollment codes (a code given to the
// wrong person, or lost); issuing a new code does the same.
func inspectorCancelCodes(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	id := fs.String("id", "", "inspector id")
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		cc, ok := s.(store.CodeCanceller)
		if !ok {
			return errors.New("this store cannot cancel enrollment codes")
		}
		n, err := cc.CancelCodes(ctx, *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d unused enrollment codes cancelled\n", n)
		return nil
	}
}

func inspectorList(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		ins, err := s.Inspectors(ctx)
		if err != nil {
			return err
		}
		for _, in := range ins {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", in.ID, in.Unit, in.Role, in.Name)
		}
		return nil
	}
}

func deviceRevoke(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	id := fs.String("id", "", "device id")
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		if err := s.RevokeDevice(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "revoked", *id)
		return nil
	}
}

func deviceList(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		devs, err := s.Devices(ctx)
		if err != nil {
			return err
		}
		for _, d := range devs {
			state := "active"
			if d.RevokedAt != nil {
				state = "revoked"
			}
			// The clock offset at the last push; more than five minutes off is flagged, as on the
			// dashboard's devices page (PROTOCOL.md: devices whose clock is wrong are shown).
			skew := (time.Duration(d.SkewMillis) * time.Millisecond).Round(time.Second)
			flag := ""
			if skew > syncproto.SkewWarning || skew < -syncproto.SkewWarning {
				flag = "\tclock_off"
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\taccepted=%d\trejected=%d\tpending=%d\tskew=%s%s\n",
				d.ID, d.Unit, d.InspectorName, state, d.Accepted, d.Rejected, d.OutboxPending, skew, flag)
		}
		return nil
	}
}

// epochRotate gives a restored store a new epoch so devices re-send what it lost.
func epochRotate(fs *flag.FlagSet) func(context.Context, store.Store, io.Writer) error {
	return func(ctx context.Context, s store.Store, stdout io.Writer) error {
		e, err := s.RotateEpoch(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, e)
		return nil
	}
}
