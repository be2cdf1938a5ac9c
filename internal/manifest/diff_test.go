package manifest

import "testing"

func TestPromotionKind(t *testing.T) {
	ep := &Endpoint{Name: "fraud-detector"}
	for _, tc := range []struct {
		name                                   string
		p                                      Promotion
		reconfiguration, rollback, changeGroup bool
	}{
		{"new stage", Promotion{ModelPackageGroup: "g", ToVersion: 3}, false, false, false},
		{"same group, newer version", Promotion{ModelPackageGroup: "g", FromModelPackageGroup: "g", From: ep, FromVersion: 2, ToVersion: 3}, false, false, false},
		{"same group, older version", Promotion{ModelPackageGroup: "g", FromModelPackageGroup: "g", From: ep, FromVersion: 3, ToVersion: 2}, false, true, false},
		{"same group, same version", Promotion{ModelPackageGroup: "g", FromModelPackageGroup: "g", From: ep, FromVersion: 3, ToVersion: 3}, true, false, false},
		{"another group, same version number", Promotion{ModelPackageGroup: "other", FromModelPackageGroup: "g", From: ep, FromVersion: 3, ToVersion: 3}, false, false, true},
		{"another group, lower version number", Promotion{ModelPackageGroup: "other", FromModelPackageGroup: "g", From: ep, FromVersion: 3, ToVersion: 1}, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.IsReconfiguration(); got != tc.reconfiguration {
				t.Errorf("IsReconfiguration = %v, want %v", got, tc.reconfiguration)
			}
			if got := tc.p.IsRollback(); got != tc.rollback {
				t.Errorf("IsRollback = %v, want %v", got, tc.rollback)
			}
			if got := tc.p.ChangesGroup(); got != tc.changeGroup {
				t.Errorf("ChangesGroup = %v, want %v", got, tc.changeGroup)
			}
		})
	}
}

func TestCompareSeesAGroupChangeAsANewModel(t *testing.T) {
	cfg := []byte(goodConfig)
	base := Tree{"p/modelpromote.yaml": cfg, "p/a.yaml": []byte(modelYAML("a", "  staging:\n    version: 7\n    endpoint: {name: a, instanceType: ml.m5.large, instanceCount: 1}\n"))}
	head := Tree{"p/modelpromote.yaml": cfg, "p/a.yaml": []byte("version: 1\nmodel: a\nmodelPackageGroup: planted\nstages:\n  staging:\n    version: 7\n    endpoint: {name: a, instanceType: ml.m5.large, instanceCount: 1}\n")}
	b, h := Load(base, "p"), Load(head, "p")
	d := Compare(b, h, base, head)
	if len(d.Promotions) != 1 {
		t.Fatalf("promotions = %+v", d.Promotions)
	}
	p := d.Promotions[0]
	if !p.ChangesGroup() || p.IsReconfiguration() || p.FromModelPackageGroup != "a" || p.ModelPackageGroup != "planted" {
		t.Errorf("promotion = %+v: a group change must be a new model, not a reconfiguration", p)
	}
}
