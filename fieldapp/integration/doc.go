// Package integration holds the tests that run the field app's store and sync client against the
// real server binary, built from ./server and started as a subprocess on 127.0.0.1 with a
// temporary database, the way a user runs it. Nothing here imports the server's packages.
package integration
