package syncclient

import (
	"net"
	"net/http"
	"time"
)

// DefaultTransport is the transport of a Client without HTTP: keep-alive connections to the
// server, no total timeout (a slow link is watched for progress instead, see StallTimeout).
// Answers are asked for as gzip and inflated by the client itself, so what it measures of the
// link is the bytes on the wire.
func DefaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
}
