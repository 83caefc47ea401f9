package pool

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
)

// TransientNet reports whether err is a network failure worth retrying on
// another host or later: a refused, reset or aborted connection, an
// unexpected end of a response, or a network timeout. It reports false for
// context cancellation, which is the caller's doing.
func TransientNet(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// TransientStatus reports whether an HTTP status means the server may
// succeed later or elsewhere: 408, 425, 429 and every 5xx (503 is Ollama's
// "server busy").
func TransientStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}
