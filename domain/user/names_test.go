package user

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUsernameKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"admin", "ADMIN", true},
		{"Admin", " admin ", true},
		{"straße", "STRASSE", true}, // full case folding
		{"ｊｏｓé", "josé", true},      // NFKC
		{"a.b", "a_b", false},
		{"a@b", "a:40b", false},
		{"bob", "bob2", false},
		{"é", "xé", false}, // a leading escape is marked, not merely prefixed
		{"_x", "x_x", false},
	}
	for _, tt := range tests {
		ka, kb := UsernameKey(tt.a), UsernameKey(tt.b)
		if (ka == kb) != tt.same {
			t.Errorf("UsernameKey(%q) = %q, UsernameKey(%q) = %q; same = %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
		}
	}
	for _, name := range []string{"admin", "john@example.com", "_x", "-x", "é", "a+b", strings.Repeat("é", 150), "1"} {
		key := UsernameKey(name)
		if !streamIDChars(key) || len(CategoryUsername+"-"+key) > 200 {
			t.Errorf("UsernameKey(%q) = %q is not a valid stream id", name, key)
		}
	}
	if got := UsernameKey("John@Example.com"); got != "john:40example.com" {
		t.Errorf("UsernameKey = %q, want a readable key", got)
	}
	if got := GroupNameKey(" Stock Keepers "); got != "stock:20keepers" {
		t.Errorf("GroupNameKey = %q", got)
	}
}

// streamIDChars mirrors eventstore's rule for the part after the category.
func streamIDChars(id string) bool {
	if id == "" {
		return false
	}
	for i, c := range []byte(id) {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_.:-", rune(c))) {
			return false
		}
	}
	return true
}

func TestSanitizeTokenName(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"  python client ", "python-client", false},
		{"a\tb\nc\x00d\u200be", "abcde", false}, // control and format characters go
		{"a < b & c > d", "a-<-b-&-c->-d", false},
		{"<script>x</script>", "", true},
		{"x</b>", "", true},
		{"<!-- c -->", "", true},
		{strings.Repeat("é", 120), strings.Repeat("é", 100), false},
	}
	for _, tt := range tests {
		got, err := SanitizeTokenName(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("SanitizeTokenName(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestRedactTokenKey(t *testing.T) {
	key := "inv-0123456789abcdef0123456789abcdef01234567-20260314"
	want := "inv-0123" + strings.Repeat("*", len(key)-20) + "567-20260314"
	if got := RedactTokenKey(key); got != want {
		t.Errorf("RedactTokenKey = %q, want %q", got, want)
	}
	if got := RedactTokenKey("short"); got != "*****" {
		t.Errorf("RedactTokenKey(short) = %q", got)
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw       string
		override bool
		nErrs    int
	}{
		{"correct horse", false, 0},
		{"", false, 1},
		{"", true, 1},
		{"short", false, 1},
		{"1234", false, 2},
		{"12345678", false, 1},
		{"1234", true, 0},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw, tt.override)
		if got := len(fields(err)); got != tt.nErrs {
			t.Errorf("CheckPassword(%q, %v) = %v; want %d violations", tt.pw, tt.override, err, tt.nErrs)
		}
	}
}

func TestDate(t *testing.T) {
	d := DateOf(time.Date(2026, 12, 31, 23, 0, 0, 0, time.FixedZone("x", -5*3600)))
	if d.String() != "2026-12-31" || d.Compact() != "20261231" || d.AddDays(1).String() != "2027-01-01" {
		t.Fatalf("date = %s %s %s", d, d.Compact(), d.AddDays(1))
	}
	var v struct {
		A Date `json:"a"`
		B Date `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a":"2026-03-14","b":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != NewDate(2026, 3, 14) || !v.B.IsZero() {
		t.Fatalf("decoded %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"a":"2026-03-14","b":null}` {
		t.Fatalf("encoded %s", out)
	}
	if !reflect.DeepEqual(NewDate(2026, 3, 14).Before(NewDate(2026, 3, 15)), true) {
		t.Fatal("Before")
	}
}
