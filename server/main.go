// Command server is Talbar's sync server and headquarters dashboard.
//
//	server                          serve on :8080 with a SQLite file under ./data
//	server serve --addr HOST:PORT --db PATH
//	server inspector add --db PATH --name NAME --unit CODE [--role inspector|officer]
//	server inspector code --db PATH --id INSPECTOR_ID          (a new code; older unused ones stop working)
//	server inspector cancel-codes --db PATH --id INSPECTOR_ID  (unused codes stop working)
//	server device revoke --db PATH --id DEVICE_ID
//	server epoch rotate --db PATH   (after restoring a backup)
//	server survey show --db PATH    (the survey catalogue devices get, as JSON)
//	server survey add --db PATH --file VERSION.json [--lang mn|en]  (a new catalogue version; docs/survey.md)
//
// Every command takes --database-url postgres://… instead of --db for the PostgreSQL store.
//
// Every flag has an environment variable: TALBAR_ADDR, TALBAR_DB, TALBAR_DATABASE_URL, TALBAR_LOG_LEVEL,
// TALBAR_PUBLIC_URL (--public-url: the address printed on enrollment slips), TALBAR_CPUPROFILE (serve
// --cpuprofile: a CPU profile of the whole run, for profiling pushes; off by default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one sub-command; args are what follows its name.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// commands maps "serve", "inspector add", … to their implementations: every command, here.
var commands = map[string]command{
	"serve":                  serveCmd,
	"inspector add":          adminCommand("inspector add", inspectorAdd),
	"inspector code":         adminCommand("inspector code", inspectorCode),
	"inspector list":         adminCommand("inspector list", inspectorList),
	"inspector cancel-codes": adminCommand("inspector cancel-codes", inspectorCancelCodes),
	"device revoke":          adminCommand("device revoke", deviceRevoke),
	"device list":            adminCommand("device list", deviceList),
	"epoch rotate":           adminCommand("epoch rotate", epochRotate),
	"survey add":             adminCommand("survey add", surveyAdd),
	"survey show":            adminCommand("survey show", surveyShow),
	"user add":               adminCommand("user add", userAdd),
	"user list":              adminCommand("user list", userList),
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // a command's flags were asked for and printed: no failure
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// isHelp says whether an argument asks for help.
func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

// run dispatches to a command: the longest run of leading non-flag words that names one.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		usage(stdout)
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return commands["serve"](ctx, args, stdout, stderr)
	}
	for n := min(2, len(args)); n >= 1; n-- {
		if cmd, ok := commands[strings.Join(args[:n], " ")]; ok {
			return cmd(ctx, args[n:], stdout, stderr)
		}
	}
	if args[0] == "version" || len(args) > 1 && isHelp(args[1]) {
		// "version", or help asked of a group of commands ("inspector --help").
		usage(stdout)
		return nil
	}
	return fmt.Errorf("unknown command %q (try: server help)", strings.Join(args, " "))
}

// usage lists the commands; each prints its own flags with --help.
func usage(w io.Writer) {
	fmt.Fprintf(w, "talbar server %s\nusage: talbar-server COMMAND [flags]   (COMMAND --help lists its flags)\ncommands:\n", version)
	names := make([]string, 0, len(commands))
	for k := range commands {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintln(w, "  "+k)
	}
}

// env returns the environment variable's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
