package modelopt

import (
	"strings"
	"testing"
	"time"
)

func TestSharedSet(t *testing.T) {
	type fields struct {
		logprobs                                bool
		top, maxTok, maxBytes, perHost, retries int
		stall                                   time.Duration
	}
	tests := []struct {
		key, value string
		handled    bool
		wantErr    string
		check      func(f fields) bool
	}{
		{"logprobs", "false", true, "", func(f fields) bool { return !f.logprobs }},
		{"logprobs", "maybe", true, "want true or false", nil},
		{"top_logprobs", "5", true, "", func(f fields) bool { return f.top == 5 && f.logprobs }},
		{"top_logprobs", "21", true, "an integer from 0 to 20", nil},
		{"max_tokens", "64", true, "", func(f fields) bool { return f.maxTok == 64 }},
		{"max_bytes", "0", true, "an integer from 1 to", nil},
		{"stall", "5s", true, "", func(f fields) bool { return f.stall == 5*time.Second }},
		{"stall", "soon", true, "a duration", nil},
		{"parallel", "8", true, "", func(f fields) bool { return f.perHost == 8 }},
		{"retries", "3", true, "", func(f fields) bool { return f.retries == 3 }},
		{"temperature", "0.7", false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			f := fields{logprobs: true}
			s := Shared{Logprobs: &f.logprobs, TopLogprobs: &f.top, MaxTokens: &f.maxTok, MaxBytes: &f.maxBytes,
				Stall: &f.stall, PerHost: &f.perHost, Attempts: &f.retries}
			handled, err := s.Set(tt.key, tt.value)
			if handled != tt.handled {
				t.Fatalf("handled = %v, want %v", handled, tt.handled)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.key) {
					t.Fatalf("err = %v, want one naming %s and saying %q", err, tt.key, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil && !tt.check(f) {
				t.Errorf("fields after set: %+v", f)
			}
		})
	}
}

func TestParam(t *testing.T) {
	if v, err := Param("float", "temperature", "0.5"); err != nil || v != 0.5 {
		t.Errorf("float: %v, %v", v, err)
	}
	if v, err := Param("int", "top_k", "40"); err != nil || v != 40 {
		t.Errorf("int: %v, %v", v, err)
	}
	if v, err := Param("strings", "stop", "a|b"); err != nil || len(v.([]string)) != 2 {
		t.Errorf("strings: %v, %v", v, err)
	}
	if _, err := Param("int", "top_k", "x"); err == nil || !strings.Contains(err.Error(), "top_k") {
		t.Errorf("bad int: %v", err)
	}
}

func TestSetParamAndSortedKeys(t *testing.T) {
	kinds := map[string]string{"temperature": "float", "stop": "strings"}
	var params map[string]any
	for _, tc := range []struct {
		key, value    string
		handled, fail bool
	}{
		{"temperature", "0.5", true, false},
		{"stop", "a|b", true, false},
		{"temperature", "hot", true, true},
		{"think", "true", false, false},
	} {
		handled, err := SetParam(&params, kinds, tc.key, tc.value)
		if handled != tc.handled || (err != nil) != tc.fail {
			t.Errorf("SetParam(%s=%s) = %v, %v", tc.key, tc.value, handled, err)
		}
	}
	if params["temperature"] != 0.5 || len(params["stop"].([]string)) != 2 || len(params) != 2 {
		t.Errorf("params = %v", params)
	}
	if got := SortedKeys(kinds, "think", "logprobs"); strings.Join(got, ",") != "logprobs,stop,temperature,think" {
		t.Errorf("SortedKeys = %v", got)
	}
}
