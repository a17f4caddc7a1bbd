//go:build !linux

package slowlink

import (
	"errors"
	"net"
	"testing"
)

// KernelShaped needs Linux network namespaces and tc.
func KernelShaped(tb testing.TB, kbit int) (net.Listener, error) {
	return nil, errors.New("kernel shaping: needs Linux network namespaces")
}
