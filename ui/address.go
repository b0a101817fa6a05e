package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Address says where a web page serves a store; it is kept in the file
// "<db>-ui.json" beside the store while the page runs.
type Address struct {
	URL     string    `json:"url"` // the page's root, ending in "/"
	PID     int       `json:"pid"` // the serving process
	DB      string    `json:"db"`  // the store's absolute path
	Started time.Time `json:"started"`
}

// AddressFile is the file that holds the Address of the page serving db.
func AddressFile(db string) string { return db + "-ui.json" }

// Publish writes the Address of this process's page for the store at db.
// The returned function removes it again (unless another page has
// replaced it since).
func Publish(db, url string) (unpublish func() error, err error) {
	abs, err := filepath.Abs(db)
	if err != nil {
		return nil, fmt.Errorf("ui: publish the address: %w", err)
	}
	a := Address{URL: strings.TrimSuffix(url, "/") + "/", PID: os.Getpid(), DB: abs, Started: time.Now().UTC()}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ui: publish the address: %w", err)
	}
	file := AddressFile(abs)
	if err := writeAtomic(file, append(data, '\n')); err != nil {
		return nil, fmt.Errorf("ui: publish the address in %s: %w", file, err)
	}
	return func() error {
		now, err := readAddress(file)
		if err != nil || now.PID != a.PID || now.URL != a.URL {
			return nil // gone, or another page's now
		}
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("ui: remove %s: %w", file, err)
		}
		return nil
	}, nil
}

// Lookup finds the web page serving the store at db: ok is false when
// there is none, or when the process that wrote the address is gone.
func Lookup(db string) (a Address, ok bool) {
	if db == "" {
		return Address{}, false
	}
	abs, err := filepath.Abs(db)
	if err != nil {
		return Address{}, false
	}
	a, err = readAddress(AddressFile(abs))
	if err != nil || a.URL == "" || !alive(a.PID) {
		return Address{}, false
	}
	return a, true
}

func readAddress(file string) (Address, error) {
	var a Address
	data, err := os.ReadFile(file)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("ui: %s: %w", file, err)
	}
	if !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
		return Address{}, fmt.Errorf("ui: %s: url %q is not http", file, a.URL)
	}
	return a, nil
}

// alive reports whether process pid exists (signal 0 checks without
// sending; EPERM means it exists but is another user's).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
