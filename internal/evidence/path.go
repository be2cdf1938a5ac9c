package evidence

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Path is a parsed metric path. See the package documentation for the
// grammar.
type Path struct {
	// Group is everything before the metric name:
	// "binary_classification_metrics", "bias.post_training", …
	Group string
	// Metric is the metric's name: "auc", "DI", …
	Metric string
	// Qualified is true when the path names one facet group:
	// "[Facet=FacetValue]".
	Qualified bool
	// Facet and FacetValue name the facet group of a qualified path.
	Facet, FacetValue string
}

var pathName = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// ParsePath parses a metric path or selector.
func ParsePath(s string) (Path, error) {
	var p Path
	head, qual, hasQual := strings.Cut(s, "[")
	dot := strings.LastIndexByte(head, '.')
	if dot < 0 {
		return p, fmt.Errorf("metric path %q: want group.metric", s)
	}
	p.Group, p.Metric = head[:dot], head[dot+1:]
	for _, name := range strings.Split(p.Group, ".") {
		if !pathName.MatchString(name) {
			return p, fmt.Errorf("metric path %q: bad group name %q", s, name)
		}
	}
	if !pathName.MatchString(p.Metric) {
		return p, fmt.Errorf("metric path %q: bad metric name %q", s, p.Metric)
	}
	if !hasQual {
		return p, nil
	}
	facet, rest, err := qualifierPart(qual, '=')
	if err != nil {
		return p, fmt.Errorf("metric path %q: facet: %w", s, err)
	}
	value, rest, err := qualifierPart(rest, ']')
	if err != nil {
		return p, fmt.Errorf("metric path %q: facet value: %w", s, err)
	}
	if rest != "" {
		return p, fmt.Errorf("metric path %q: unexpected %q after the facet group", s, rest)
	}
	p.Qualified, p.Facet, p.FacetValue = true, facet, value
	return p, nil
}

// qualifierPart reads a bare or quoted part of a qualifier up to and past end.
func qualifierPart(s string, end byte) (part, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", fmt.Errorf("bad quoted string: %w", err)
		}
		part, _ = strconv.Unquote(q)
		s = s[len(q):]
		if s == "" || s[0] != end {
			return "", "", fmt.Errorf("want %q after %s", end, q)
		}
		return part, s[1:], nil
	}
	i := strings.IndexByte(s, end)
	if i < 0 {
		return "", "", fmt.Errorf("missing %q", end)
	}
	part = s[:i]
	if needsQuote(part) {
		return "", "", fmt.Errorf("%q must be quoted", part)
	}
	return part, s[i+1:], nil
}

func needsQuote(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`[]="\`, r) {
			return true
		}
	}
	return false
}

func quotePart(s string) string {
	if needsQuote(s) {
		return strconv.Quote(s)
	}
	return s
}

// String formats p; ParsePath(p.String()) == p.
func (p Path) String() string {
	s := p.Group + "." + p.Metric
	if p.Qualified {
		s += "[" + quotePart(p.Facet) + "=" + quotePart(p.FacetValue) + "]"
	}
	return s
}

// Selects reports whether selector p selects metric path m: the same group
// and metric, and, if p is qualified, the same facet group. An unqualified
// selector selects every facet group's metric: "bias.post_training.DI"
// selects the DI of every facet group.
func (p Path) Selects(m Path) bool {
	if p.Group != m.Group || p.Metric != m.Metric {
		return false
	}
	return !p.Qualified || (m.Qualified && p.Facet == m.Facet && p.FacetValue == m.FacetValue)
}

// ErrNoMetric is returned by Select when a selector selects nothing.
var ErrNoMetric = errors.New("no such metric")

// Select returns the metrics a selector selects, sorted by path. It returns
// an error wrapping ErrNoMetric when there are none: a threshold on a metric
// a report does not have must not pass silently.
func Select(metrics map[string]Metric, selector string) ([]Metric, error) {
	sel, err := ParsePath(selector)
	if err != nil {
		return nil, err
	}
	var out []Metric
	for _, k := range sortedKeys(metrics) {
		m, err := ParsePath(k)
		if err == nil && sel.Selects(m) {
			out = append(out, metrics[k])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", selector, ErrNoMetric)
	}
	return out, nil
}
