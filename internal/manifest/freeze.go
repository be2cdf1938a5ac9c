package manifest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Freeze is a change freeze: a window in which the stages it names take no
// promotions. It is either absolute (From and To, RFC 3339 times) or
// weekly (Weekly: a weekday and time to another, in a time zone). A
// rollback and a break-glass promotion pass through a freeze; everything
// else waits for it to end.
type Freeze struct {
	// Stages are the stages the freeze holds.
	Stages []string `yaml:"stages" json:"stages"`
	// From and To bound an absolute freeze, [From, To), as RFC 3339 times
	// (e.g. 2026-12-20T00:00:00Z, or with an offset).
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	To   string `yaml:"to,omitempty" json:"to,omitempty"`
	// Weekly is a freeze that recurs every week.
	Weekly *WeeklyWindow `yaml:"weekly,omitempty" json:"weekly,omitempty"`
	// Reason says why, for the pull requests it holds.
	Reason string `yaml:"reason" json:"reason"`
}

// WeeklyWindow is a weekly freeze: from a weekday and time to another
// ("Friday 16:00" to "Monday 08:00"), in an IANA time zone, wall clock: a
// window keeps its local hours across daylight-saving changes.
type WeeklyWindow struct {
	From     string `yaml:"from" json:"from"`
	To       string `yaml:"to" json:"to"`
	TimeZone string `yaml:"timeZone" json:"timeZone"`
}

// Covers reports whether the freeze holds stage.
func (f Freeze) Covers(stage string) bool { return slices.Contains(f.Stages, stage) }

// Window returns the freeze's window that contains t: its end, and
// whether t is inside one at all. A freeze that cannot be read (the
// configuration check refuses those) returns an error.
func (f Freeze) Window(t time.Time) (end time.Time, active bool, err error) {
	if f.Weekly != nil {
		return f.Weekly.window(t)
	}
	from, err := time.Parse(time.RFC3339, f.From)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("from: %w", err)
	}
	to, err := time.Parse(time.RFC3339, f.To)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("to: %w", err)
	}
	return to, !t.Before(from) && t.Before(to), nil
}

// window finds the last start at or before t, in the window's zone and on
// its wall clock, and the first end after that start.
func (w *WeeklyWindow) window(t time.Time) (time.Time, bool, error) {
	loc, err := LoadLocation(w.TimeZone)
	if err != nil {
		return time.Time{}, false, err
	}
	fromDay, fromH, fromM, err := parseWeekTime(w.From)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("from: %w", err)
	}
	toDay, toH, toM, err := parseWeekTime(w.To)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("to: %w", err)
	}
	local := t.In(loc)
	back := (int(local.Weekday()) - int(fromDay) + 7) % 7
	// time.Date normalizes day overflow and resolves each wall-clock time
	// with the offset in force on that day, so a window keeps its local
	// hours across daylight-saving changes.
	start := time.Date(local.Year(), local.Month(), local.Day()-back, fromH, fromM, 0, 0, loc)
	if start.After(t) {
		start = time.Date(local.Year(), local.Month(), local.Day()-back-7, fromH, fromM, 0, 0, loc)
	}
	fwd := (int(toDay) - int(fromDay) + 7) % 7
	end := time.Date(start.Year(), start.Month(), start.Day()+fwd, toH, toM, 0, 0, loc)
	if !end.After(start) {
		end = time.Date(start.Year(), start.Month(), start.Day()+fwd+7, toH, toM, 0, 0, loc)
	}
	return end, t.Before(end), nil
}

// maxChain bounds how many back-to-back windows FrozenUntil follows: weekly
// windows that cover the whole week would chain forever.
const maxChain = 64

// FrozenUntil reports whether stage is frozen at now by any of freezes,
// until when (windows that overlap or follow each other without a gap
// count as one), and the reasons of the freezes in force. A freeze that
// cannot be evaluated holds the stage: it is reported with a zero end.
func FrozenUntil(freezes []Freeze, stage string, now time.Time) (until time.Time, reasons []string, frozen bool) {
	at := now
	for range maxChain {
		extended := false
		for _, f := range freezes {
			if !f.Covers(stage) {
				continue
			}
			end, active, err := f.Window(at)
			if err != nil {
				return time.Time{}, []string{fmt.Sprintf("%s (the freeze cannot be evaluated: %v)", f.Reason, err)}, true
			}
			if !active {
				continue
			}
			if !slices.Contains(reasons, f.Reason) {
				reasons = append(reasons, f.Reason)
			}
			if end.After(until) {
				until, extended = end, true
			}
		}
		if !extended {
			break
		}
		at = until
	}
	return until, reasons, !until.IsZero()
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseWeekTime reads "Friday 16:00" (or "Fri 16:00").
func parseWeekTime(s string) (time.Weekday, int, int, error) {
	day, clock, ok := strings.Cut(strings.TrimSpace(s), " ")
	d, known := weekdays[strings.ToLower(day)]
	if !ok || !known {
		return 0, 0, 0, fmt.Errorf("%q is not a weekday and time such as \"Friday 16:00\"", s)
	}
	hm, err := time.Parse("15:04", strings.TrimSpace(clock))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%q is not a weekday and 24-hour time such as \"Friday 16:00\"", s)
	}
	return d, hm.Hour(), hm.Minute(), nil
}

var locations sync.Map // zone name → *time.Location

// LoadLocation is time.LoadLocation, remembered: a freeze is evaluated for
// every promotion of every check, and loading a zone reads a file. The
// binary embeds time/tzdata, so zones load on machines without zoneinfo.
func LoadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || strings.EqualFold(name, "local") {
		// "Local" is whatever machine runs the check: not a policy.
		return nil, fmt.Errorf("an IANA time zone such as Europe/Berlin or UTC is required")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (use an IANA name such as Europe/Berlin)", name)
	}
	locations.Store(name, l)
	return l, nil
}

// checkFreezes validates policy.freezes: known stages, readable windows
// that end after they start, and a reason.
func checkFreezes(c *checker, freezes []Freeze, names map[string]int) {
	for i, fr := range freezes {
		f := func(name string) string { return fmt.Sprintf("policy.freezes[%d].%s", i, name) }
		if len(fr.Stages) == 0 {
			c.atKey(fmt.Sprintf("policy.freezes[%d]", i), "policy.freezes[%d] names no stages: list the stages it holds", i)
		}
		for j, s := range fr.Stages {
			if _, ok := names[s]; !ok {
				c.at(fmt.Sprintf("%s[%d]", f("stages"), j), "freeze of unknown stage %q%s", s, knownList(names))
			}
		}
		if strings.TrimSpace(fr.Reason) == "" {
			c.atKey(f("reason"), "%s is required: the pull requests a freeze holds are told why", f("reason"))
		}
		absolute := fr.From != "" || fr.To != ""
		switch {
		case absolute && fr.Weekly != nil:
			c.atKey(f("weekly"), "policy.freezes[%d] has both from/to and weekly: make them two freezes", i)
		case fr.Weekly != nil:
			checkWeekly(c, f("weekly"), fr.Weekly)
		default:
			checkAbsolute(c, f, fr)
		}
	}
}

func checkAbsolute(c *checker, f func(string) string, fr Freeze) {
	var from, to time.Time
	ok := true
	for _, side := range []struct {
		name, value string
		t           *time.Time
	}{{"from", fr.From, &from}, {"to", fr.To, &to}} {
		if !c.required(f(side.name), side.value) {
			ok = false
			continue
		}
		t, err := time.Parse(time.RFC3339, side.value)
		if err != nil {
			c.at(f(side.name), "%s: %q is not an RFC 3339 time such as 2026-12-20T00:00:00Z", f(side.name), side.value)
			ok = false
			continue
		}
		*side.t = t
	}
	if ok && !to.After(from) {
		c.at(f("to"), "%s (%s) is not after from (%s): the freeze would never hold", f("to"), fr.To, fr.From)
	}
}

func checkWeekly(c *checker, field string, w *WeeklyWindow) {
	f := func(name string) string { return field + "." + name }
	if c.required(f("timeZone"), w.TimeZone) {
		if _, err := LoadLocation(w.TimeZone); err != nil {
			c.at(f("timeZone"), "%s: %v", f("timeZone"), err)
		}
	}
	var ends [2]string
	for i, side := range []struct{ name, value string }{{"from", w.From}, {"to", w.To}} {
		if !c.required(f(side.name), side.value) {
			continue
		}
		d, h, m, err := parseWeekTime(side.value)
		if err != nil {
			c.at(f(side.name), "%s: %v", f(side.name), err)
			continue
		}
		ends[i] = fmt.Sprintf("%d %02d:%02d", d, h, m)
	}
	if ends[0] != "" && ends[0] == ends[1] {
		c.at(f("to"), "%s is the same time as from: a weekly freeze must end at another time", f("to"))
	}
}
