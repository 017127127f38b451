package user

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/stockledger/stockledger/domain"
)

// Field lengths and messages from Django's User and Group models and DRF's fields, so
// that clients read the same 400 bodies as from InvenTree.
const (
	maxUsernameLength  = 150 // django.contrib.auth User.username
	maxNameLength      = 150 // first_name, last_name; Group.name
	maxEmailLength     = 254
	maxTokenNameLength = 100 // users.ApiToken.name

	msgBlank          = "This field may not be blank."
	msgUsernameFormat = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
	msgUsernameTaken  = "A user with that username already exists."
	msgGroupNameTaken = "group with this name already exists."
	msgEmail          = "Enter a valid email address."
	msgHTMLTags       = "Remove HTML tags from this value"
)

func msgTooLong(n int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", n)
}

// NormalizeUsername is the stored form of a username: surrounding white space removed
// (DRF trims character fields) and Unicode NFKC-normalised, as Django normalises
// usernames so that look-alike compositions are one name.
func NormalizeUsername(s string) string {
	return norm.NFKC.String(strings.TrimSpace(s))
}

// checkUsername reports what is wrong with a normalised username under field.
func checkUsername(name, field string, errs *domain.RuleError) {
	switch {
	case name == "":
		errs.Add(field, msgBlank)
	case utf8.RuneCountInString(name) > maxUsernameLength:
		errs.Add(field, msgTooLong(maxUsernameLength))
	case !validUsername(name):
		errs.Add(field, msgUsernameFormat)
	}
}

// validUsername matches Django's UnicodeUsernameValidator, ^[\w.@+-]+$ with Unicode \w.
func validUsername(name string) bool {
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("_.@+-", r)) {
			return false
		}
	}
	return true
}

// NormalizeEmail trims the address and lower-cases its domain, as Django's
// normalize_email does; the local part is case-sensitive by the standard.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	return s[:at+1] + strings.ToLower(s[at+1:])
}

// checkEmail accepts "" (InvenTree's email may be blank) or one plain address.
func checkEmail(email, field string, errs *domain.RuleError) {
	if email == "" {
		return
	}
	if len(email) > maxEmailLength {
		errs.Add(field, msgTooLong(maxEmailLength))
		return
	}
	if !validEmail(email) {
		errs.Add(field, msgEmail)
	}
}

func validEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n") {
		return false
	}
	// Django requires a dotted domain, except localhost.
	host := email[at+1:]
	return host == "localhost" || strings.Contains(strings.Trim(host, "."), ".")
}

// checkPersonName checks first_name and last_name: anything up to 150 characters.
func checkPersonName(name, field string, errs *domain.RuleError) {
	if utf8.RuneCountInString(name) > maxNameLength {
		errs.Add(field, msgTooLong(maxNameLength))
	}
}

// NormalizeGroupName trims a group name as DRF does.
func NormalizeGroupName(s string) string { return strings.TrimSpace(s) }

func checkGroupName(name, field string, errs *domain.RuleError) {
	switch {
	case name == "":
		errs.Add(field, msgBlank)
	case utf8.RuneCountInString(name) > maxNameLength:
		errs.Add(field, msgTooLong(maxNameLength))
	}
}

// UsernameKey is the id of the claim stream that makes a username unique: the
// normalised name case-folded, so that "Admin" and "admin" are one name, and escaped
// into the characters a stream id allows. Pass a name that passed validation.
func UsernameKey(username string) string {
	return claimKey(NormalizeUsername(username))
}

// GroupNameKey is the id of the claim stream that makes a group name unique.
func GroupNameKey(name string) string {
	return claimKey(norm.NFKC.String(NormalizeGroupName(name)))
}

// maxClaimKey keeps "<category>-<key>" well under the store's 200-byte stream limit.
const maxClaimKey = 180

// claimKey folds case and keeps [a-z0-9_.-] as they are (not [_.-] in first place);
// every other byte becomes ":xx" (':' is never kept, so the escape is unambiguous and
// the key readable in the log). A key that would be too long is replaced by "sha256:" and its digest: those are
// 71 bytes long, and a readable key of that form would need a pre-image of SHA-256.
func claimKey(name string) string {
	folded := cases.Fold().String(name)
	var b strings.Builder
	for i := 0; i < len(folded); i++ {
		c := folded[i]
		keep := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if i > 0 {
			keep = keep || c == '_' || c == '.' || c == '-'
		}
		if keep {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, ":%02x", c)
		}
	}
	key := b.String()
	if strings.HasPrefix(key, ":") {
		// A stream id starts with a letter or digit. "x:" then ':' gives "x::", which no
		// escape produces (every ':' of one is followed by two hex digits).
		key = "x:" + key
	}
	if len(key) > maxClaimKey {
		return "sha256:" + sha256Hex(folded)
	}
	return key
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// SanitizeTokenName cleans a token name the way InvenTree's ApiToken.sanitize_name
// does for GET /api/user/me/token/: trim, drop control and unassigned characters
// (newlines too), refuse HTML tags, turn spaces into '-', keep 100 characters.
func SanitizeTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	name = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.C, r) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z) {
			return -1
		}
		return r
	}, name)
	if containsHTMLTag(name) {
		return "", domain.Invalid("", msgHTMLTags)
	}
	name = strings.ReplaceAll(name, " ", "-")
	if utf8.RuneCountInString(name) > maxTokenNameLength {
		name = string([]rune(name)[:maxTokenNameLength])
	}
	return name, nil
}

// containsHTMLTag reports whether an HTML parser would see markup in s: a '<' that
// opens a start or end tag, a comment or a processing instruction. A lone '<' is
// text, which InvenTree lets through.
func containsHTMLTag(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		c := s[i+1]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?' {
			return true
		}
	}
	return false
}

// CheckTokenName reports what is wrong with the name of a token given to
// POST /api/user/tokens/, under "name".
func CheckTokenName(name string) error {
	errs := &domain.RuleError{}
	checkTokenName(name, "name", errs)
	return errs.Err()
}

// checkTokenName is the model's rule for a token name given to POST /api/user/tokens/,
// which InvenTree does not sanitise: at most 100 characters, blank allowed.
func checkTokenName(name, field string, errs *domain.RuleError) {
	if utf8.RuneCountInString(name) > maxTokenNameLength {
		errs.Add(field, msgTooLong(maxTokenNameLength))
	}
}

// RedactTokenKey is the form InvenTree shows a token in after creation: the first 8 and
// the last 12 characters, the rest as '*'. It is stored in events as the key hint; the
// key itself never is.
func RedactTokenKey(key string) string {
	if len(key) <= 20 {
		return strings.Repeat("*", len(key))
	}
	return key[:8] + strings.Repeat("*", len(key)-20) + key[len(key)-12:]
}

// Password rules: Django's MinimumLengthValidator and NumericPasswordValidator, in their
// wording. InvenTree lets an admin override them ("override_warning").
const minPasswordLength = 8

// CheckPassword reports what is wrong with a new password under the field "password".
// A blank password is always refused; with override the strength rules are skipped.
func CheckPassword(password string, override bool) error {
	errs := &domain.RuleError{}
	switch {
	case password == "":
		errs.Add("password", msgBlank)
	case override:
	default:
		if utf8.RuneCountInString(password) < minPasswordLength {
			errs.Add("password", fmt.Sprintf("This password is too short. It must contain at least %d characters.", minPasswordLength))
		}
		if strings.IndexFunc(password, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
			errs.Add("password", "This password is entirely numeric.")
		}
	}
	return errs.Err()
}
