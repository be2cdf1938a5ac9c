package report

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// zwj is the zero-width joiner put after "@" in untrusted text so that
// GitHub does not turn "@user" or "@org/team" into a mention that pings.
const zwj = "\u200d"

// esc makes text from a manifest, a report or an API safe to put anywhere
// in the markdown this package writes: in a paragraph, a table cell, a list
// item, or inside an HTML element such as <summary>. Every character that
// markdown or HTML could read as markup becomes a numeric character
// reference, which both render as the literal character and never as markup
// (so "</details>" cannot close a fold, "|" cannot split a table cell, and
// "[x](y)" is not a link). Line breaks and bidirectional controls become
// spaces, and "@" cannot mention.
// Underscores between letters or digits, the common case in metric names,
// are left alone: they cannot start or end emphasis.
func esc(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '_':
			if i > 0 && i < len(rs)-1 && isWord(rs[i-1]) && isWord(rs[i+1]) {
				b.WriteRune(r)
				continue
			}
			b.WriteString("&#95;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '@':
			b.WriteString("@" + zwj)
		case '\'', '|', '`', '*', '[', ']', '(', ')', '#', '!', '~', '\\', '$':
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		case ':':
			if autolinkColon(rs, i) || shortcodeColon(rs, i) {
				b.WriteString("&#58;")
				continue
			}
			b.WriteRune(r)
		case '.':
			if wwwDot(rs, i) {
				b.WriteString("&#46;")
				continue
			}
			b.WriteRune(r)
		case '\n', '\r', '\t', '\v', '\f':
			b.WriteByte(' ')
		default:
			// Controls, line separators and bidirectional overrides
			// (which can make text read differently from what it is).
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
				b.WriteByte(' ')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// GitHub turns bare http(s):// and www. addresses into links, and :name:
// into emoji (https://github.github.com/gfm/#autolinks-extension-). Text
// from a report (a SHAP feature called "https://evil.example" or
// ":rocket:") must read as text, so the colon or dot that makes them is
// written as a character reference; ARNs ("arn:aws:…") and S3 URIs are
// left as they are.

// autolinkColon: rs[i] is the colon of "http://" or "https://".
func autolinkColon(rs []rune, i int) bool {
	if i+2 >= len(rs) || rs[i+1] != '/' || rs[i+2] != '/' {
		return false
	}
	for _, scheme := range []string{"http", "https"} {
		n := len(scheme)
		if i >= n && strings.EqualFold(string(rs[i-n:i]), scheme) && (i == n || !isWord(rs[i-n-1])) {
			return true
		}
	}
	return false
}

// wwwDot: rs[i] is the dot of "www." at the start of a word.
func wwwDot(rs []rune, i int) bool {
	return i >= 3 && strings.EqualFold(string(rs[i-3:i]), "www") && (i == 3 || !isWord(rs[i-4]))
}

// shortcodeColon: rs[i] opens or closes ":name:" (name of letters, digits,
// "_", "+" or "-"), not inside a word on the outer side.
func shortcodeColon(rs []rune, i int) bool {
	code := func(r rune) bool { return isWord(r) || r == '_' || r == '+' || r == '-' }
	// Opening: preceded by a non-word, then a name, then a closing colon.
	if i == 0 || !isWord(rs[i-1]) {
		j := i + 1
		for j < len(rs) && code(rs[j]) {
			j++
		}
		if j > i+1 && j < len(rs) && rs[j] == ':' && (j+1 == len(rs) || !isWord(rs[j+1])) {
			return true
		}
	}
	// Closing: a name back to an opening colon preceded by a non-word.
	if i+1 == len(rs) || !isWord(rs[i+1]) {
		j := i - 1
		for j >= 0 && code(rs[j]) {
			j--
		}
		if j < i-1 && j >= 0 && rs[j] == ':' && (j == 0 || !isWord(rs[j-1])) {
			return true
		}
	}
	return false
}

// escMermaid makes text safe inside a quoted Mermaid node label
// (id["…"]): everything but letters, digits, spaces and a few harmless
// punctuation marks becomes a Mermaid entity code ("#35;"), so quotes,
// brackets, "<>" and backticks cannot end the label, open HTML, or close
// the code fence around the diagram. "@" is encoded too, so no mention.
func escMermaid(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 128 && (isWord(r) || strings.ContainsRune(" -_.,:/=", r)):
			b.WriteRune(r)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == '"':
			b.WriteString("#quot;")
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case r >= 128 && unicode.IsLetter(r):
			b.WriteRune(r)
		default:
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		}
	}
	return b.String()
}

// shortSHA returns the first seven characters of a commit SHA as a code
// span, or the escaped text when it is not a hex SHA.
func shortSHA(sha string) string {
	if sha == "" {
		return "—"
	}
	if !isHex(sha) {
		return esc(sha)
	}
	return "`" + gitsha.Short(sha) + "`"
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return s != ""
}

// shortDigest shortens "sha256:<64 hex>" to "sha256:abcd…1234"; anything
// else is escaped as it is (and marked when it is long).
func shortDigest(d string) string {
	if d == "" {
		return "—"
	}
	hex, ok := strings.CutPrefix(d, "sha256:")
	if ok && isHex(hex) && len(hex) > 8 {
		return "`sha256:" + hex[:4] + "…" + hex[len(hex)-4:] + "`"
	}
	return esc(clip(d, 40))
}

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// Escape makes s, which came from a manifest, a report or a user, safe to
// put in markdown or HTML: it renders as the literal text.
func Escape(s string) string { return esc(s) }
