package ollamatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
)

// Options configures a test server.
type Options struct {
	// Binary is the ollama executable; empty means [Binary]'s choice.
	Binary string
	// NumParallel sets OLLAMA_NUM_PARALLEL (parallel generations per
	// model); 0 leaves the server's default.
	NumParallel int
	// Env adds environment variables (KEY=VALUE) for the server.
	Env []string
}

// Server is a running (or stopped) isolated ollama server. Its methods are
// safe for concurrent use.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT; it stays the same
	// across [Server.Restart].
	URL string
	// Client talks to the server.
	Client *api.Client
	// Version is the binary's version.
	Version string

	bin  string
	dir  string // HOME and OLLAMA_MODELS live here
	host string // 127.0.0.1:PORT
	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process has exited
	log  *os.File
}

// Start starts a server on a free loopback port with an empty model
// directory and waits until it answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, version := opts.Binary, ""
	var err error
	if bin == "" {
		bin, version, err = Binary(ctx, os.Stderr)
	} else {
		version, err = binaryVersion(ctx, bin)
	}
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "spag-ollama-")
	if err != nil {
		return nil, fmt.Errorf("ollama test server: %w", err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	host := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	u := &url.URL{Scheme: "http", Host: host}
	s := &Server{URL: u.String(), Client: api.NewClient(u, &http.Client{}), Version: version,
		bin: bin, dir: dir, host: host, opts: opts}
	if err := s.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("ollama test server: already running")
	}
	log, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("ollama test server log: %w", err)
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(cleanEnv(),
		"HOME="+s.dir,
		"OLLAMA_HOST="+s.host,
		"OLLAMA_MODELS="+filepath.Join(s.dir, "models"),
		"OLLAMA_NOPRUNE=1",
		"OLLAMA_KEEP_ALIVE=1h",
	)
	if s.opts.NumParallel > 0 {
		cmd.Env = append(cmd.Env, "OLLAMA_NUM_PARALLEL="+strconv.Itoa(s.opts.NumParallel))
	}
	cmd.Env = append(cmd.Env, s.opts.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s serve: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done, s.log = cmd, done, log

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if err := s.Client.Heartbeat(ctx); err == nil {
			return nil
		}
		select {
		case <-done:
			err := fmt.Errorf("ollama serve exited at start: %s", s.logTail(2000))
			s.cmd = nil
			log.Close()
			return err
		case <-ctx.Done():
			s.stopLocked(syscall.SIGKILL, 0)
			return fmt.Errorf("ollama serve did not answer: %w: %s", ctx.Err(), s.logTail(2000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the server with SIGTERM to its process group (so its runner
// subprocesses go too), and SIGKILL if it has not exited after 10s. The
// model directory is kept, so [Server.Restart] finds the models again.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGTERM, 10*time.Second)
}

// Kill kills the server and its runners at once with SIGKILL, as a crash
// would.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGKILL, 0)
}

func (s *Server) stopLocked(sig syscall.Signal, grace time.Duration) error {
	if s.cmd == nil {
		return nil
	}
	pid := s.cmd.Process.Pid
	err := signalGroup(pid, sig)
	if grace > 0 {
		select {
		case <-s.done:
		case <-time.After(grace):
			signalGroup(pid, syscall.SIGKILL)
		}
	}
	<-s.done
	// Runners that outlived the server (they are in its group) go too.
	signalGroup(pid, syscall.SIGKILL)
	s.cmd = nil
	s.log.Close()
	if err != nil {
		return fmt.Errorf("stop ollama server: %w", err)
	}
	return nil
}

// Restart starts the stopped (or killed) server again on the same port,
// with the same models.
func (s *Server) Restart(ctx context.Context) error { return s.start(ctx) }

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop()
	os.RemoveAll(s.dir)
	return err
}

// Log returns the server's log so far (both its output streams, across
// restarts).
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(b)
}

func (s *Server) logTail(n int) string {
	l := s.Log()
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return l
}

// DefaultTemplate is the chat template of models made by
// [Server.CreateModel]: every message with its role, then the assistant's
// turn, so that the whole conversation reaches the model.
const DefaultTemplate = `{{- if .System }}<|system|>{{ .System }}
{{ end }}{{- range .Messages }}<|{{ .Role }}|>{{ .Content }}
{{ end }}<|assistant|>`

// CreateModel writes m as GGUF, uploads it as a blob and registers it as
// model name (with [DefaultTemplate]), without any network access.
func (s *Server) CreateModel(ctx context.Context, name string, m TinyModel) error {
	var buf bytes.Buffer
	if err := WriteGGUF(&buf, m); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if err := s.Client.CreateBlob(ctx, digest, bytes.NewReader(buf.Bytes())); err != nil {
		return fmt.Errorf("upload %s blob: %w", name, err)
	}
	stream := false
	req := &api.CreateRequest{Model: name, Files: map[string]string{"model.gguf": digest},
		Template: DefaultTemplate, Stream: &stream}
	if err := s.Client.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		return fmt.Errorf("create model %s: %w", name, err)
	}
	return nil
}
