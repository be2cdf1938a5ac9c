package plan

import (
	"errors"
	"reflect"
	"testing"
)

func TestLineageGate(t *testing.T) {
	fail := map[Gate]Status{GateLineage: StatusFail}
	runGateCases(t, []gateCase{
		{name: "a succeeded pipeline's approved package passes", stage: toStaging},
		{name: "every prod requirement met passes", stage: toProd},
		{
			name: "missing package fails every AWS gate", stage: toStaging,
			change: func(w *world) { delete(w.reg.packages, "fraud-detector/13") },
			want: []want{
				{GateLineage, SeverityError, []string{"version 13 of model package group fraud-detector does not exist in the source account 111111111111"}},
				{GateCompliance, SeverityError, []string{"not checked", "could not be read"}},
				{GateEvaluation, SeverityError, []string{"not checked", "could not be read"}},
			},
			gates: map[Gate]Status{GateLineage: StatusFail, GateCompliance: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name: "unreadable package fails every AWS gate with the reason", stage: toStaging,
			change: func(w *world) {
				w.reg.broken["fraud-detector/13"] = errors.New("AccessDeniedException: not authorized")
			},
			want: []want{
				{GateLineage, SeverityError, []string{"could not read fraud-detector version 13 from the source registry", "AccessDeniedException"}},
				{GateCompliance, SeverityError, []string{"not checked"}},
				{GateEvaluation, SeverityError, []string{"not checked"}},
			},
			gates: map[Gate]Status{GateLineage: StatusFail, GateCompliance: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name: "not Approved", stage: toStaging,
			change: func(w *world) { w.pkg(13).ApprovalStatus = "PendingManualApproval" },
			want:   []want{{GateLineage, SeverityError, []string{"version 13 is PendingManualApproval", "only Approved versions can be promoted"}}},
			gates:  fail,
		},
		{
			name: "Rejected", stage: toProd,
			change: func(w *world) { w.pkg(12).ApprovalStatus = "Rejected" },
			want:   []want{{GateLineage, SeverityError, []string{"version 12 is Rejected", "only Approved"}}},
			gates:  fail,
		},
		{
			name: "package not Completed", stage: toStaging,
			change: func(w *world) { w.pkg(13).Status = "InProgress" },
			want:   []want{{GateLineage, SeverityError, []string{"version 13 is InProgress", "not Completed"}}},
			gates:  fail,
		},
		{
			name: "no inference container", stage: toStaging,
			change: func(w *world) { w.pkg(13).Containers = nil },
			want: []want{
				{GateLineage, SeverityError, []string{"no inference container"}},
				{GateLineage, SeverityError, []string{"no training job in the lineage produced the package's model data"}},
			},
			gates: fail,
		},
		{
			name: "image not pinned by digest where prod requires it", stage: toProd,
			change: func(w *world) {
				w.pkg(12).Containers[0].Image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7"
				w.tagImage("1.7")
			},
			want:  []want{{GateLineage, SeverityError, []string{"xgboost:1.7 is not pinned by digest", "policy requires it"}}},
			gates: fail,
		},
		{
			name: "unpinned image is fine where the stage does not require digests", stage: toStaging,
			change: func(w *world) {
				w.pkg(13).Containers[0].Image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7"
				w.tagImage("1.7")
			},
		},
		{
			name: "no commit or repository where prod requires them", stage: toProd,
			change: func(w *world) { w.pkg(12).CommitID, w.pkg(12).Repository = "", "" },
			want: []want{
				{GateLineage, SeverityError, []string{"no MetadataProperties.CommitId"}},
				{GateLineage, SeverityError, []string{"no MetadataProperties.Repository"}},
			},
			gates: fail,
		},
		{
			name: "model data missing", stage: toStaging,
			change: func(w *world) { delete(w.objs.objects, artifact(13, "model.tar.gz")) },
			want:   []want{{GateLineage, SeverityError, []string{"model data s3://ml-artifacts-dev/fraud-detector/13/model.tar.gz does not exist"}}},
			gates:  fail,
		},
		{
			name: "model data unreadable", stage: toStaging,
			change: func(w *world) {
				w.objs.broken[artifact(13, "model.tar.gz")] = errors.New("AccessDenied: Access Denied")
			},
			want:  []want{{GateLineage, SeverityError, []string{"could not read model data s3://ml-artifacts-dev/fraud-detector/13/model.tar.gz", "AccessDenied"}}},
			gates: fail,
		},
		{
			name: "nothing recorded as the producer", stage: toStaging,
			change: func(w *world) { w.pkg(13).GeneratedBy = "" },
			want:   []want{{GateLineage, SeverityError, []string{"no MetadataProperties.GeneratedBy", "unknown"}}},
			gates:  fail,
		},
		{
			name: "producer is not an ARN", stage: toStaging,
			change: func(w *world) { w.pkg(13).GeneratedBy = "my laptop" },
			want:   []want{{GateLineage, SeverityError, []string{`GeneratedBy "my laptop" is not a SageMaker pipeline execution or training job ARN`}}},
			gates:  fail,
		},
		{
			name: "producer is not a SageMaker ARN", stage: toStaging,
			change: func(w *world) { w.pkg(13).GeneratedBy = "arn:aws:glue:eu-west-1:111111111111:job/train" },
			want:   []want{{GateLineage, SeverityError, []string{"is not a SageMaker pipeline execution or training job ARN"}}},
			gates:  fail,
		},
		{
			name: "producer in another account", stage: toStaging,
			change: func(w *world) {
				foreign := "arn:aws:sagemaker:eu-west-1:999999999999:training-job/" + jobName(13)
				w.reg.jobs[foreign] = w.reg.jobs[jobName(13)]
				w.pkg(13).GeneratedBy = foreign
			},
			want:  []want{{GateLineage, SeverityError, []string{"is in account 999999999999/eu-west-1, not the source account 111111111111/eu-west-1"}}},
			gates: fail,
		},
		{
			name: "pipeline execution failed", stage: toStaging,
			change: func(w *world) { w.reg.pipelines[pipelineARN(13)].Status = "Failed" },
			want:   []want{{GateLineage, SeverityError, []string{"pipeline execution pipeline/fraud-training/execution/exec13 is Failed, not Succeeded"}}},
			gates:  fail,
		},
		{
			name: "pipeline execution still running", stage: toStaging,
			change: func(w *world) { w.reg.pipelines[pipelineARN(13)].Status = "Executing" },
			want:   []want{{GateLineage, SeverityError, []string{"is Executing, not Succeeded"}}},
			gates:  fail,
		},
		{
			name: "pipeline execution missing", stage: toStaging,
			change: func(w *world) { delete(w.reg.pipelines, pipelineARN(13)) },
			want:   []want{{GateLineage, SeverityError, []string{"pipeline execution " + pipelineARN(13), "not found"}}},
			gates:  fail,
		},
		{
			name: "pipeline execution unreadable", stage: toStaging,
			change: func(w *world) { w.reg.broken[pipelineARN(13)] = errors.New("ThrottlingException: Rate exceeded") },
			want:   []want{{GateLineage, SeverityError, []string{"pipeline execution " + pipelineARN(13), "ThrottlingException"}}},
			gates:  fail,
		},
		{
			name: "pipeline without a training step", stage: toStaging,
			change: func(w *world) {
				e := w.reg.pipelines[pipelineARN(13)]
				e.Steps = []PipelineStep{e.Steps[0], e.Steps[2]}
			},
			want:  []want{{GateLineage, SeverityError, []string{"exec13 has no training step"}}},
			gates: fail,
		},
		{
			name: "training job missing", stage: toStaging,
			change: func(w *world) { delete(w.reg.jobs, jobARN(13)) },
			want: []want{
				{GateLineage, SeverityError, []string{"training job " + jobARN(13), "not found"}},
				{GateLineage, SeverityError, []string{"no training job in the lineage produced the package's model data"}},
			},
			gates: fail,
		},
		{
			name: "training job failed", stage: toStaging,
			change: func(w *world) { w.reg.jobs[jobARN(13)].Status = "Failed" },
			want:   []want{{GateLineage, SeverityError, []string{"training job fraud-train-13 is Failed, not Completed"}}},
			gates:  fail,
		},
		{
			name: "model data not produced by the recorded job", stage: toStaging,
			change: func(w *world) { w.pkg(13).Containers[0].ModelDataURL = artifact(12, "model.tar.gz") },
			want:   []want{{GateLineage, SeverityError, []string{"the artifacts do not come from the recorded job"}}},
			gates:  fail,
		},
		{
			name: "a training job as the producer passes", stage: toStaging,
			change: func(w *world) { w.pkg(13).GeneratedBy = jobARN(13) },
		},
		{
			name: "a processing job as the producer", stage: toStaging,
			change: func(w *world) { w.pkg(13).GeneratedBy = sourceARN("processing-job/fraud-prep-13") },
			want:   []want{{GateLineage, SeverityError, []string{"is neither a pipeline execution nor a training job"}}},
			gates:  fail,
		},
	})
}

func TestLineageDetailsGoFromDataToPackage(t *testing.T) {
	cases := []struct {
		name   string
		change func(w *world)
		kinds  []string
	}{
		{"pipeline", nil, []string{"pipeline-execution", "data", "data", "training-job", "model-package"}},
		{"training job", func(w *world) { w.pkg(13).GeneratedBy = jobARN(13) }, []string{"data", "data", "training-job", "model-package"}},
		{"unknown producer", func(w *world) { w.pkg(13).GeneratedBy = "" }, []string{"model-package"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := checkedPlan(t, toStaging, c.change)
			d := p.Promotions[0].Details
			if d.Package == nil || d.Package.ARN != packageARN(13) {
				t.Fatalf("package = %+v", d.Package)
			}
			var kinds []string
			for _, s := range d.Lineage.Steps {
				kinds = append(kinds, s.Kind)
			}
			if !reflect.DeepEqual(kinds, c.kinds) {
				t.Errorf("lineage kinds = %v, want %v", kinds, c.kinds)
			}
			last := d.Lineage.Steps[len(d.Lineage.Steps)-1]
			if last.Name != "fraud-detector/13" || last.Status != "Approved" {
				t.Errorf("package step = %+v", last)
			}
		})
	}
}
