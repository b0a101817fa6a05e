package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPublishLookup(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	if _, ok := Lookup(db); ok {
		t.Fatal("Lookup found a page before any was published")
	}
	unpublish, err := Publish(db, "http://127.0.0.1:8787")
	if err != nil {
		t.Fatal(err)
	}
	a, ok := Lookup(db)
	if !ok || a.URL != "http://127.0.0.1:8787/" || a.PID != os.Getpid() || a.DB != db {
		t.Errorf("Lookup = %+v, %v", a, ok)
	}
	if err := unpublish(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(AddressFile(db)); !os.IsNotExist(err) {
		t.Errorf("unpublish left %s: %v", AddressFile(db), err)
	}

	// A page whose process is gone is not found.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := `{"url": "http://127.0.0.1:9999/", "pid": ` + strconv.Itoa(cmd.Process.Pid) + `, "db": "` + db + `"}`
	for name, content := range map[string]string{"dead pid": dead, "not json": "{", "not http": `{"url": "javascript:alert(1)", "pid": 1}`} {
		if err := os.WriteFile(AddressFile(db), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if a, ok := Lookup(db); ok {
			t.Errorf("%s: Lookup = %+v", name, a)
		}
	}
	// Unpublishing never removes another page's address.
	unpublish, err = Publish(db, "http://127.0.0.1:1/")
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(dead, "9999", "7777", 1)
	if err := os.WriteFile(AddressFile(db), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unpublish(); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(AddressFile(db)); err != nil || string(data) != other {
		t.Errorf("unpublish removed another page's address: %q %v", data, err)
	}
}
