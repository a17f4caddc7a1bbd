// Package arrows holds the check of the import graph's arrows (its test): the domain (shared/)
// and the protocol (syncproto/) import neither the server nor the field app, and the dashboard
// does not reach into the sync API, so domain rules stay in shared/.
package arrows
