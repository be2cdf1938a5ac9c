package manifest

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFrozenUntil(t *testing.T) {
	weekend := Freeze{Stages: []string{"prod"}, Reason: "no weekend deploys",
		Weekly: &WeeklyWindow{From: "Friday 16:00", To: "Monday 08:00", TimeZone: "Europe/Berlin"}}
	yearEnd := Freeze{Stages: []string{"prod"}, Reason: "year end", From: "2026-12-20T00:00:00Z", To: "2027-01-04T00:00:00Z"}
	// Overnight on weekdays, in New York: a window within one week that
	// wraps past midnight.
	nights := Freeze{Stages: []string{"staging"}, Reason: "nights",
		Weekly: &WeeklyWindow{From: "Tue 22:00", To: "Wed 06:00", TimeZone: "America/New_York"}}
	all := []Freeze{weekend, yearEnd, nights}
	for _, c := range []struct {
		name, stage, now string
		want             string // "" when not frozen
	}{
		{"Friday before the window (CEST, UTC+2)", "prod", "2026-10-23T13:59:00Z", ""},
		{"Friday at the start of the window", "prod", "2026-10-23T14:00:00Z", "2026-10-26T07:00:00Z"},
		// Daylight saving ends in Berlin on Sunday 25 October 2026: the
		// window starts at 16:00 CEST (14:00 UTC) and ends at 08:00 CET
		// (07:00 UTC). A fixed offset taken at the start would end it at
		// 06:00 UTC.
		{"Monday 07:30 CET, inside after the clocks went back", "prod", "2026-10-26T06:30:00Z", "2026-10-26T07:00:00Z"},
		{"Monday 08:00 CET, the window has ended", "prod", "2026-10-26T07:00:00Z", ""},
		// Daylight saving starts on Sunday 28 March 2027: 16:00 CET
		// (15:00 UTC) to 08:00 CEST (06:00 UTC).
		{"Monday 08:30 CEST, after the clocks went forward", "prod", "2027-03-29T06:30:00Z", ""},
		{"Monday 07:59 CEST", "prod", "2027-03-29T05:59:00Z", "2027-03-29T06:00:00Z"},
		{"Sunday, spring", "prod", "2027-03-28T12:00:00Z", "2027-03-29T06:00:00Z"},
		{"Wednesday", "prod", "2026-10-28T12:00:00Z", ""},
		{"another stage is not held", "staging", "2026-10-24T12:00:00Z", ""},
		{"inside the year-end freeze", "prod", "2026-12-22T09:00:00Z", "2027-01-04T07:00:00Z"},
		{"the year-end freeze alone", "prod", "2026-12-22T09:00:00Z", "2027-01-04T00:00:00Z"},
		// The year-end freeze ends on Monday 4 January 00:00 UTC, inside
		// the weekend window that started on Friday 1 January: the two
		// count as one, until Monday 08:00 Berlin.
		{"year end running into a weekend", "prod", "2027-01-03T23:00:00Z", "2027-01-04T07:00:00Z"},
		{"year end ends exactly", "prod", "2027-01-04T07:00:00Z", ""},
		{"a night window wrapping past midnight", "staging", "2026-10-28T03:00:00Z", "2026-10-28T10:00:00Z"},
		{"a Tuesday afternoon", "staging", "2026-10-27T20:00:00Z", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			freezes := all
			if c.name == "the year-end freeze alone" {
				freezes = []Freeze{yearEnd}
			}
			until, reasons, frozen := FrozenUntil(freezes, c.stage, utc(c.now))
			if c.want == "" {
				if frozen {
					t.Fatalf("frozen until %s (%v), want not frozen", until.UTC().Format(time.RFC3339), reasons)
				}
				return
			}
			if !frozen || !until.Equal(utc(c.want)) {
				t.Fatalf("frozen %v until %s, want until %s", frozen, until.UTC().Format(time.RFC3339), c.want)
			}
			if len(reasons) == 0 {
				t.Error("no reason given")
			}
		})
	}
}

func TestFreezeThatCannotBeEvaluatedHolds(t *testing.T) {
	bad := []Freeze{{Stages: []string{"prod"}, Reason: "x", Weekly: &WeeklyWindow{From: "Friday 16:00", To: "Monday 08:00", TimeZone: "Nowhere/Atlantis"}}}
	if _, reasons, frozen := FrozenUntil(bad, "prod", utc("2026-10-28T12:00:00Z")); !frozen || len(reasons) != 1 {
		t.Fatalf("frozen %v %v, want frozen (fail closed)", frozen, reasons)
	}
}

func TestWeeklyFreezesCoveringTheWholeWeekStopChaining(t *testing.T) {
	week := []Freeze{
		{Stages: []string{"prod"}, Reason: "a", Weekly: &WeeklyWindow{From: "Mon 00:00", To: "Thu 00:00", TimeZone: "UTC"}},
		{Stages: []string{"prod"}, Reason: "b", Weekly: &WeeklyWindow{From: "Thu 00:00", To: "Mon 00:00", TimeZone: "UTC"}},
	}
	now := utc("2026-10-28T12:00:00Z")
	until, _, frozen := FrozenUntil(week, "prod", now)
	if !frozen || until.Sub(now) < 7*24*time.Hour {
		t.Fatalf("frozen %v until %s", frozen, until)
	}
}
