package evidence

import (
	"math"
	"sort"
)

// Attribution is a feature's global SHAP value and its rank.
type Attribution struct {
	Feature string
	Value   float64
	// Rank is 1 for the feature with the largest |Value|.
	Rank int
}

// Ranked returns every feature ordered by |value|, largest first, ties by
// feature name, with ranks.
func (s SHAP) Ranked() []Attribution {
	out := make([]Attribution, 0, len(s.Values))
	for f, v := range s.Values {
		out = append(out, Attribution{Feature: f, Value: v})
	}
	sort.Slice(out, func(i, j int) bool {
		ai, aj := math.Abs(out[i].Value), math.Abs(out[j].Value)
		if ai != aj {
			return ai > aj
		}
		return out[i].Feature < out[j].Feature
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// Top returns the n features with the largest |SHAP value| (all when n <= 0).
func (s SHAP) Top(n int) []Attribution {
	r := s.Ranked()
	if n > 0 && n < len(r) {
		r = r[:n]
	}
	return r
}

// Shift is how a feature's attribution moved between two explanations.
type Shift struct {
	Feature string `json:"feature"`
	// Old and New are the SHAP values; unset when the feature is absent
	// from that explanation.
	Old Number `json:"old"`
	New Number `json:"new"`
	// Delta is New - Old; unset unless both are set.
	Delta Number `json:"delta"`
	// OldRank and NewRank are ranks among all features; 0 when absent.
	OldRank int `json:"oldRank"`
	NewRank int `json:"newRank"`
	// RankChange is OldRank - NewRank: positive when the feature moved up
	// (became more important); 0 when either rank is 0.
	RankChange int `json:"rankChange"`
}

// ShiftSHAP compares two explanations: it returns the features in the top n
// of either (all when n <= 0), ordered by new rank, then (for features that
// left the new explanation) by old rank.
func ShiftSHAP(old, new SHAP, n int) []Shift {
	oldRank, newRank := rankIndex(old.Ranked()), rankIndex(new.Ranked())
	var out []Shift
	for f := range union(old.Values, new.Values) {
		or, nr := oldRank[f], newRank[f]
		if n > 0 && !(or >= 1 && or <= n) && !(nr >= 1 && nr <= n) {
			continue
		}
		s := Shift{Feature: f, OldRank: or, NewRank: nr}
		if v, ok := old.Values[f]; ok {
			s.Old = Num(v)
		}
		if v, ok := new.Values[f]; ok {
			s.New = Num(v)
		}
		if s.Old.Set && s.New.Set {
			s.Delta = Num(s.New.Float - s.Old.Float)
			s.RankChange = or - nr
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.NewRank == 0) != (b.NewRank == 0) {
			return a.NewRank != 0
		}
		if a.NewRank != b.NewRank {
			return a.NewRank < b.NewRank
		}
		return a.OldRank < b.OldRank
	})
	return out
}

func rankIndex(r []Attribution) map[string]int {
	m := make(map[string]int, len(r))
	for _, a := range r {
		m[a.Feature] = a.Rank
	}
	return m
}

func union(a, b map[string]float64) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}
