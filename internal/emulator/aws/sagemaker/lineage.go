package sagemaker

import (
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Artifact is a lineage artifact: something a lineage entity used or
// produced, identified by its source URI (an S3 URI, an image, a model
// package ARN).
type Artifact struct {
	ArtifactArn      string
	ArtifactName     string `json:",omitempty"`
	ArtifactType     string `json:",omitempty"`
	Source           ArtifactSource
	Properties       map[string]string `json:",omitempty"`
	CreationTime     Timestamp
	LastModifiedTime Timestamp `json:",omitzero"`
}

// ArtifactSource is where an artifact lives.
type ArtifactSource struct {
	SourceUri   string
	SourceTypes []ArtifactSourceType `json:",omitempty"`
}

// ArtifactSourceType is an identifier of an artifact's source (an S3 ETag,
// an MD5 hash).
type ArtifactSourceType struct {
	SourceIdType string
	Value        string
}

// LineageEntity is a vertex of the lineage graph. Artifacts are vertices
// of LineageType Artifact; trial components (a training job's is
// "<job>-aws-training-job"), actions and contexts are seeded as entities.
type LineageEntity struct {
	Arn         string
	LineageType string // TrialComponent, Artifact, Context or Action
	Type        string `json:",omitempty"` // e.g. Model, DataSet, SageMakerTrainingJob
}

// Association is an edge of the lineage graph, from source to destination.
type Association struct {
	SourceArn       string
	DestinationArn  string
	AssociationType string `json:",omitempty"` // ContributedTo, AssociatedWith, DerivedFrom, Produced, SameAs
}

func init() {
	handlers["ListArtifacts"] = (*Service).listArtifacts
	handlers["DescribeArtifact"] = (*Service).describeArtifact
	handlers["QueryLineage"] = (*Service).queryLineage
}

// SeedArtifact adds an artifact; its ARN is made up when empty.
func (s *Service) SeedArtifact(account, region string, a Artifact) Artifact {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	if a.ArtifactArn == "" {
		a.ArtifactArn = st.arn("artifact", strings.ReplaceAll(requestID(), "-", ""))
	}
	now := stamp(s.now())
	a.CreationTime = orTime(a.CreationTime, now)
	a.LastModifiedTime = orTime(a.LastModifiedTime, now)
	st.artifacts = append(st.artifacts, &a)
	st.entities[a.ArtifactArn] = LineageEntity{Arn: a.ArtifactArn, LineageType: "Artifact", Type: a.ArtifactType}
	return clone(a)
}

// SeedLineageEntity adds a vertex that is not an artifact (a trial
// component, an action, a context).
func (s *Service) SeedLineageEntity(account, region string, v LineageEntity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state(account, region).entities[v.Arn] = v
}

// SeedAssociation adds an edge between two entities.
func (s *Service) SeedAssociation(account, region string, a Association) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	st.associations = append(st.associations, a)
}

func (s *Service) listArtifacts(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		SourceUri, ArtifactType, SortOrder, NextToken string
		CreatedAfter, CreatedBefore                   *Timestamp
		MaxResults                                    int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	type summary struct {
		ArtifactArn      string
		ArtifactName     string `json:",omitempty"`
		ArtifactType     string `json:",omitempty"`
		Source           ArtifactSource
		CreationTime     Timestamp
		LastModifiedTime Timestamp `json:",omitzero"`
	}
	var all []summary
	for _, a := range st.artifacts {
		if (in.SourceUri == "" || a.Source.SourceUri == in.SourceUri) &&
			(in.ArtifactType == "" || a.ArtifactType == in.ArtifactType) &&
			inTimeRange(a.CreationTime, in.CreatedAfter, in.CreatedBefore) {
			all = append(all, summary{a.ArtifactArn, a.ArtifactName, a.ArtifactType, a.Source, a.CreationTime, a.LastModifiedTime})
		}
	}
	if in.SortOrder != "Ascending" { // the API's default is Descending
		slices.Reverse(all)
	}
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		ArtifactSummaries []summary
		NextToken         string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

func (s *Service) describeArtifact(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ ArtifactArn string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, a := range st.artifacts {
		if a.ArtifactArn == in.ArtifactArn {
			return a, nil
		}
	}
	return nil, resourceNotFound("Artifact %s does not exist.", in.ArtifactArn)
}

// queryLineage walks the graph from StartArns. Direction defaults to Both
// and MaxDepth to 10; start entities are part of the result, and all
// results come in one page.
func (s *Service) queryLineage(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		StartArns    []string
		Direction    string
		IncludeEdges bool
		MaxDepth     *int
		Filters      *struct {
			Types        []string
			LineageTypes []string
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, arn := range in.StartArns {
		if strings.Contains(arn, ":model-package/") {
			// Model packages are not lineage entities; their artifact is.
			return nil, validationError("%s is a model package, not a lineage entity. Start from the model package's artifact: ListArtifacts with SourceUri set to the model package ARN.", arn)
		}
		if _, ok := st.entities[arn]; !ok {
			return nil, resourceNotFound("Lineage entity %s does not exist.", arn)
		}
	}
	depth := 10
	if in.MaxDepth != nil {
		depth = *in.MaxDepth
	}
	up := in.Direction != "Descendants"
	down := in.Direction == "" || in.Direction == "Both" || in.Direction == "Descendants"
	seen := map[string]bool{}
	var order []string
	var edges []Association
	frontier := slices.Clone(in.StartArns)
	for _, arn := range frontier {
		if !seen[arn] {
			seen[arn] = true
			order = append(order, arn)
		}
	}
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []string
		for _, arn := range frontier {
			for _, a := range st.associations {
				var other string
				switch {
				case down && a.SourceArn == arn:
					other = a.DestinationArn
				case up && a.DestinationArn == arn:
					other = a.SourceArn
				default:
					continue
				}
				if !slices.Contains(edges, a) {
					edges = append(edges, a)
				}
				if !seen[other] {
					seen[other] = true
					order = append(order, other)
					next = append(next, other)
				}
			}
		}
		frontier = next
	}
	vertices := []LineageEntity{}
	for _, arn := range order {
		v, ok := st.entities[arn]
		if !ok {
			v = LineageEntity{Arn: arn}
		}
		if f := in.Filters; f != nil && ((len(f.Types) > 0 && !slices.Contains(f.Types, v.Type)) ||
			(len(f.LineageTypes) > 0 && !slices.Contains(f.LineageTypes, v.LineageType))) {
			continue
		}
		vertices = append(vertices, v)
	}
	if !in.IncludeEdges {
		edges = nil
	}
	return struct {
		Vertices []LineageEntity
		Edges    []Association
	}{vertices, nonNil(edges)}, nil
}
