package plan

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// tagImage tags goodImage's digest in the source repository.
func (w *world) tagImage(tag string) {
	img, _ := ParseImage(goodImage)
	w.images.put(img, img.Digest, tag)
}

const (
	stagingAccount = "222222222222"
	stagingRole    = "arn:aws:iam::222222222222:role/SageMakerExecution"
)

func TestPullRefusal(t *testing.T) {
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[` + body + `]}` }
	pull := `"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]`
	for _, c := range []struct {
		name, policy string
		want         string // "" when the account may pull; else a part of the reason
	}{
		{"the account root", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},` + pull + `}`), ""},
		{"the account ID", stmt(`{"Effect":"Allow","Principal":{"AWS":["444444444444","222222222222"]},` + pull + `}`), ""},
		{"everyone", stmt(`{"Effect":"Allow","Principal":"*",` + pull + `}`), ""},
		{"everyone as AWS *", stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},` + pull + `}`), ""},
		{"the execution role", stmt(`{"Effect":"Allow","Principal":{"AWS":"` + stagingRole + `"},` + pull + `}`), ""},
		{"ecr:*", stmt(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"ecr:*"}`), ""},
		{"wildcards and case", stmt(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":["ECR:batch*","ecr:GetDownloadUrlFor?ayer"]}`), ""},
		{"a single statement object", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"ecr:*"}}`, ""},
		{"split over statements", stmt(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"ecr:BatchGetImage"},` +
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}`), ""},
		{"another account", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},` + pull + `}`),
			"does not allow ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability to account 222222222222"},
		{"another role of the account", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/Other"},` + pull + `}`),
			"does not allow ecr:BatchGetImage"},
		{"a missing action", stmt(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`),
			"does not allow ecr:BatchCheckLayerAvailability"},
		{"a service principal", stmt(`{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},` + pull + `}`), "does not allow"},
		{"a condition on the allow", stmt(`{"Sid":"Org","Effect":"Allow","Principal":"*",` + pull + `,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`),
			"statement Org allows it only under a Condition"},
		{"NotPrincipal on the allow", stmt(`{"Sid":"Odd","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::999999999999:root"},` + pull + `}`),
			"statement Odd uses NotPrincipal or NotAction"},
		{"an explicit deny", stmt(`{"Effect":"Allow","Principal":"*",` + pull + `},{"Sid":"NoProd","Effect":"Deny","Principal":{"AWS":"222222222222"},"Action":"ecr:BatchGetImage"}`),
			"statement NoProd denies it"},
		{"a deny under a condition", stmt(`{"Effect":"Allow","Principal":"*",` + pull + `},{"Sid":"Net","Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`),
			"statement Net denies it under a Condition"},
		{"a deny with NotPrincipal", stmt(`{"Effect":"Allow","Principal":"*",` + pull + `},{"Sid":"Only","Effect":"Deny","NotPrincipal":{"AWS":"444444444444"},"Action":"ecr:*"}`),
			"statement Only may deny it"},
		{"a deny of other actions", stmt(`{"Effect":"Allow","Principal":"*",` + pull + `},{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage"}`), ""},
		{"a deny of another account", stmt(`{"Effect":"Allow","Principal":"*",` + pull + `},{"Effect":"Deny","Principal":{"AWS":"444444444444"},"Action":"ecr:*"}`), ""},
		{"not JSON", `{"Statement":`, "its policy cannot be read"},
		{"an unknown effect", stmt(`{"Sid":"X","Effect":"Maybe","Principal":"*",` + pull + `}`), `statement X has Effect "Maybe"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := PullRefusal(c.policy, stagingAccount, stagingRole)
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("PullRefusal = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseImage(t *testing.T) {
	for _, c := range []struct {
		in, want, byDigest string
		ok                 bool
	}{
		{"111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/xgboost:1.7", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/xgboost:1.7",
			"111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/xgboost@sha256:" + strings.Repeat("a", 64), true},
		{goodImage, goodImage, "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost@sha256:" + strings.Repeat("a", 64), true},
		{"111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/x", "111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/x",
			"111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/x@sha256:" + strings.Repeat("a", 64), true},
		{"docker.io/library/python:3.12", "", "", false},
		{"111111111111.dkr.ecr.eu-west-1.amazonaws.com/UPPER:1", "", "", false},
	} {
		r, ok := ParseImage(c.in)
		if ok != c.ok || ok && (r.String() != c.want || r.ByDigest("sha256:"+strings.Repeat("a", 64)) != c.byDigest) {
			t.Errorf("ParseImage(%q) = %+v, %v", c.in, r, ok)
		}
	}
	if m, ok := MirrorOf("333333333333.dkr.ecr.eu-west-1.amazonaws.com/mirror", "team/xgboost"); !ok || m.Registry != "333333333333" || m.Repository != "mirror/team/xgboost" {
		t.Errorf("MirrorOf = %+v, %v", m, ok)
	}
}

// mirrored puts staging's imageMirror in staging's own account.
const stagingMirror = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/mirror"

func withMirror(p *Plan) {
	for i := range p.Promotions {
		if p.Promotions[i].Stage == "staging" {
			p.Promotions[i].Environment.ImageMirror = stagingMirror
		}
	}
}

func TestImageGate(t *testing.T) {
	fail := map[Gate]Status{GateLineage: StatusFail}
	img, _ := ParseImage(goodImage)
	runGateCases(t, []gateCase{
		{
			name: "a repository without a policy", stage: toStaging,
			change: func(w *world) { delete(w.images.policies, repoKey(img)) },
			want:   []want{{GateLineage, SeverityError, []string{"repository xgboost in account 111111111111 has no repository policy", "account 222222222222 (staging) cannot pull"}}},
			gates:  fail,
		},
		{
			name: "a policy that lets only prod pull", stage: toStaging,
			change: func(w *world) {
				w.images.policies[repoKey(img)] = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":"ecr:*"}]}`
			},
			want:  []want{{GateLineage, SeverityError, []string{"account 222222222222 (staging) cannot pull image " + goodImage, "does not allow ecr:BatchGetImage"}}},
			gates: fail,
		},
		{
			name: "an unreadable repository", stage: toStaging,
			change: func(w *world) { w.images.broken[repoKey(img)] = errors.New("AccessDeniedException: not authorized") },
			want:   []want{{GateLineage, SeverityError, []string{"could not resolve image", "AccessDeniedException"}}},
			gates:  fail,
		},
		{
			name: "an image missing from the source registry", stage: toStaging,
			change: func(w *world) { delete(w.images.repos, repoKey(img)) },
			want:   []want{{GateLineage, SeverityError, []string{"image " + goodImage + " does not exist in the source account's registry"}}},
			gates:  fail,
		},
		{
			name: "a tag resolves to its digest, which is what deploys", stage: toStaging,
			change: func(w *world) {
				w.pkg(13).Containers[0].Image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7"
				w.tagImage("1.7")
			},
		},
		{
			name: "an image outside ECR", stage: toStaging,
			change: func(w *world) { w.pkg(13).Containers[0].Image = "ghcr.io/acme/xgboost:1.7" },
			want:   []want{{GateLineage, SeverityError, []string{"ghcr.io/acme/xgboost:1.7 is not an Amazon ECR image", "cannot tell whether account 222222222222 can pull it"}}},
			gates:  fail,
		},
		{
			name: "an image of another account's registry", stage: toStaging,
			change: func(w *world) {
				w.pkg(13).Containers[0].Image = strings.Replace(goodImage, "111111111111", "763104351884", 1)
			},
			want:  []want{{GateLineage, SeverityError, []string{"is not in the source account's registry (111111111111 in eu-west-1)"}}},
			gates: fail,
		},
	})
}

// The mirror cases change the environment, which gateCase cannot: they
// run the checks themselves.
func TestImageMirrorGate(t *testing.T) {
	img, _ := ParseImage(goodImage)
	mirror := ImageRef{Registry: stagingAccount, Region: srcRegion, Suffix: "amazonaws.com", Repository: "mirror/xgboost"}
	check := func(t *testing.T, change func(w *world)) (*Plan, Promotion) {
		t.Helper()
		w := newWorld()
		delete(w.images.policies, repoKey(img)) // the mirror needs no cross-account pull
		change(w)
		p := promotionPlan(t, toStaging)
		withMirror(p)
		p.CheckAWS(context.Background(), p.Config, w.sources())
		p.SetGates(awsGates...)
		return p, promotionInto(t, p, toStaging)
	}
	t.Run("the same digest in the mirror deploys the mirror's reference", func(t *testing.T) {
		p, pr := check(t, func(w *world) { w.images.put(mirror, img.Digest) })
		assertGates(t, pr, awsGates, nil)
		want := stagingMirror + "/xgboost@" + img.Digest
		if len(pr.Details.Images) != 1 || pr.Details.Images[0].Deploy != want || pr.Details.Images[0].Mirror != stagingMirror {
			t.Fatalf("images %+v, want deploy %s", pr.Details.Images, want)
		}
		for _, a := range p.ActionsFor(pr.Model, pr.Stage) {
			switch a := a.(type) {
			case *Deploy:
				if len(a.Images) != 1 || a.Images[0].Image != want || a.Images[0].Source != goodImage || !strings.Contains(a.Summary(), "image "+want) {
					t.Errorf("deploy action images %+v, summary %q", a.Images, a.Summary())
				}
			case *RegisterPackage:
				if len(a.Images) != 1 || a.Images[0].Image != want {
					t.Errorf("register action images %+v", a.Images)
				}
			}
		}
		found := false
		for _, b := range p.Bindings() {
			found = found || b.URI == goodImage && "sha256:"+b.SHA256 == img.Digest
		}
		if !found {
			t.Errorf("the image is not among the bindings %+v", p.Bindings())
		}
	})
	t.Run("another digest in the mirror shuts the gate", func(t *testing.T) {
		p, pr := check(t, func(w *world) { w.images.put(mirror, "sha256:"+strings.Repeat("9", 64), "latest") })
		assertFindings(t, p, pr, []want{{GateLineage, SeverityError, []string{"the image mirror of staging has no " + stagingMirror + "/xgboost@" + img.Digest, "must hold the same digest"}}})
		for _, a := range p.ActionsFor(pr.Model, pr.Stage) {
			if d, ok := a.(*Deploy); ok && d.Images != nil {
				t.Errorf("an unpullable image was bound: %+v", d.Images)
			}
		}
	})
	t.Run("a mirror in another account needs its policy to let the stage pull", func(t *testing.T) {
		shared := ImageRef{Registry: "444444444444", Region: srcRegion, Suffix: "amazonaws.com", Repository: "mirror/xgboost"}
		w := newWorld()
		w.images.put(shared, img.Digest)
		p := promotionPlan(t, toStaging)
		for i := range p.Promotions {
			p.Promotions[i].Environment.ImageMirror = "444444444444.dkr.ecr.eu-west-1.amazonaws.com/mirror"
		}
		p.CheckAWS(context.Background(), p.Config, w.sources())
		pr := promotionInto(t, p, toStaging)
		assertFindings(t, p, pr, []want{{GateLineage, SeverityError, []string{"repository mirror/xgboost in account 444444444444 has no repository policy"}}})

		w.images.policies[repoKey(shared)] = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"ecr:*"}]}`
		p = promotionPlan(t, toStaging)
		for i := range p.Promotions {
			p.Promotions[i].Environment.ImageMirror = "444444444444.dkr.ecr.eu-west-1.amazonaws.com/mirror"
		}
		p.CheckAWS(context.Background(), p.Config, w.sources())
		pr = promotionInto(t, p, toStaging)
		assertFindings(t, p, pr, nil)
		if got := pr.Details.Images[0].Deploy; got != "444444444444.dkr.ecr.eu-west-1.amazonaws.com/mirror/xgboost@"+img.Digest {
			t.Errorf("deploys %s", got)
		}
	})
	t.Run("without a mirror the stage must be in the image's region", func(t *testing.T) {
		w := newWorld()
		p := promotionPlan(t, toStaging)
		for i := range p.Promotions {
			p.Promotions[i].Environment.Region = "us-east-1"
		}
		p.CheckAWS(context.Background(), p.Config, w.sources())
		pr := promotionInto(t, p, toStaging)
		assertFindings(t, p, pr, []want{{GateLineage, SeverityError, []string{"SageMaker in us-east-1 pulls images from its own region: set imageMirror on environment staging"}}})
	})
	t.Run("an unreadable mirror shuts the gate", func(t *testing.T) {
		p, pr := check(t, func(w *world) { w.images.broken[repoKey(mirror)] = errors.New("AccessDeniedException") })
		assertFindings(t, p, pr, []want{{GateLineage, SeverityError, []string{"could not read the image mirror", "AccessDeniedException"}}})
	})
}

// At apply, the image must resolve to the digest the pull request's check
// bound: a tag moved after review shuts the lineage gate.
func TestImageMovedAfterTheCheck(t *testing.T) {
	tagged := "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7"
	w := newWorld()
	w.pkg(13).Containers[0].Image = tagged
	w.tagImage("1.7")
	p := promotionPlan(t, toStaging)
	p.CheckAWS(context.Background(), p.Config, w.sources())
	reviewed := bindingsByURI(p.Bindings())
	if _, ok := reviewed[tagged]; !ok {
		t.Fatalf("the check did not bind %s: %+v", tagged, p.Bindings())
	}
	for _, c := range []struct {
		name   string
		change func(w *world, src *Sources)
		want   string
	}{
		{"unchanged", func(*world, *Sources) {}, ""},
		{"re-tagged", func(w *world, _ *Sources) {
			img, _ := ParseImage(tagged)
			w.images.put(img, "sha256:"+strings.Repeat("e", 64), "1.7")
		}, "its tag moved after the review"},
		{"not bound by the check", func(_ *world, src *Sources) { src.Reviewed = map[string]Binding{} }, "did not bind image " + tagged},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.pkg(13).Containers[0].Image = tagged
			w.tagImage("1.7")
			src := w.sources()
			src.Reviewed = reviewed
			c.change(w, &src)
			p := promotionPlan(t, toStaging)
			p.CheckAWS(context.Background(), p.Config, src)
			pr := promotionInto(t, p, toStaging)
			if c.want == "" {
				for _, f := range p.Findings {
					if f.Gate == GateLineage && f.Severity == SeverityError {
						t.Errorf("finding %s", f.Message)
					}
				}
				return
			}
			assertFindings(t, p, pr, []want{{GateLineage, SeverityError, []string{c.want}}})
		})
	}
}
