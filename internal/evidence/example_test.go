package evidence_test

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"github.com/modelpromote/modelpromote/internal/evidence"
)

func ExampleParseStatistics() {
	report := evidence.SampleModelQuality(evidence.BinaryClassification, map[string]float64{"auc": 0.912}, math.NaN())
	stats, err := evidence.ParseStatistics(bytes.NewReader(report), &evidence.Options{Name: "s3://reports/statistics.json"})
	if err != nil {
		fmt.Println(err)
		return
	}
	auc := stats.Metrics["binary_classification_metrics.auc"]
	fmt.Println(auc.Value, auc.StdDev, auc.StdDev.Finite())
	// Output: 0.912 NaN false
}

func ExampleConstraints_Evaluate() {
	stats, _ := evidence.ParseStatistics(bytes.NewReader(
		evidence.SampleModelQuality(evidence.BinaryClassification, map[string]float64{"auc": 0.78, "f1": 0.7}, 0.01)), nil)
	cons, _ := evidence.ParseConstraints(bytes.NewReader(
		evidence.SampleConstraints(evidence.BinaryClassification, map[string]float64{"auc": 0.8, "f1": 0.6})), nil)
	for _, v := range cons.Evaluate(stats) {
		fmt.Println(v.Message)
	}
	// Output: binary_classification_metrics.auc: 0.78 < threshold 0.8 (LessThanThreshold)
}

func ExampleSelect() {
	analysis, _ := evidence.ParseClarify(bytes.NewReader(evidence.SampleClarify(map[string]float64{
		"bias.post_training.DI[sex=female]": 0.78,
		"bias.post_training.DI[sex=male]":   1.1,
	}, nil)), nil)
	// A threshold on bias.post_training.DI applies to every facet group.
	dis, _ := evidence.Select(analysis.Metrics, "bias.post_training.DI")
	for _, m := range dis {
		fmt.Println(m.Path, m.Value, m.Value.Float >= 0.8 && m.Value.Float <= 1.25)
	}
	// Output:
	// bias.post_training.DI[sex=female] 0.78 false
	// bias.post_training.DI[sex=male] 1.1 true
}

func ExampleCompare() {
	live := evidence.Metric{Path: "binary_classification_metrics.auc", Value: evidence.Num(0.90), StdDev: evidence.Num(0.004)}
	candidate := evidence.Metric{Path: "binary_classification_metrics.auc", Value: evidence.Num(0.91), StdDev: evidence.Num(0.003)}
	c := evidence.Compare(live, candidate)
	fmt.Printf("%+.3f (%+.1f%%) %s\n", c.Delta.Float, 100*c.Relative.Float, c.Noise)
	// Output: +0.010 (+1.1%) beyond noise
}

func ExampleShiftSHAP() {
	live := evidence.SHAP{Values: map[string]float64{"amount": 0.09, "merchant": 0.05, "hour": 0.04}}
	candidate := evidence.SHAP{Values: map[string]float64{"amount": 0.06, "merchant": 0.07, "hour": 0.01}}
	for _, s := range evidence.ShiftSHAP(live, candidate, 2) {
		fmt.Printf("%s %v→%v rank %d→%d\n", s.Feature, s.Old, s.New, s.OldRank, s.NewRank)
	}
	// Output:
	// merchant 0.05→0.07 rank 2→1
	// amount 0.09→0.06 rank 1→2
}

func ExampleVerifier() {
	body := evidence.SampleModelCard("fraud-detector", evidence.RiskHigh, map[string]float64{"auc": 0.91})
	want, _ := evidence.ParseDigest(evidence.DigestOf(body).String()) // as recorded in ContentDigest
	v := evidence.NewVerifier(want)
	card, err := evidence.ParseModelCard(io.TeeReader(bytes.NewReader(body), v), nil)
	if err == nil {
		err = v.Verify()
	}
	fmt.Println(card.IntendedUses.RiskRating, err)
	// Output: High <nil>
}
