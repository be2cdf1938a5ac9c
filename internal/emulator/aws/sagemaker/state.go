package sagemaker

// state is everything one account holds in one region.
type state struct {
	account, region string

	groups   map[string]*ModelPackageGroup // by lower-cased name
	packages []*ModelPackage               // in creation order
	// tokens maps group + "\x00" + ClientToken to the package it created.
	tokens map[string]*ModelPackage

	models    map[string]*Model          // by lower-cased name
	configs   map[string]*EndpointConfig // by lower-cased name
	endpoints map[string]*Endpoint       // by lower-cased name

	trainingJobs       map[string]*TrainingJob   // by lower-cased name
	processingJobs     map[string]*ProcessingJob // by lower-cased name
	pipelines          map[string]*Pipeline      // by lower-cased name
	pipelineExecutions map[string]*PipelineExecution
	modelCards         map[string][]*ModelCard // by name, versions in order

	artifacts    []*Artifact              // in creation order
	entities     map[string]LineageEntity // lineage vertices by ARN
	associations []Association            // lineage edges

	tags map[string][]Tag // by resource ARN

	packageFaults map[string]string        // next package's failure, by group
	faults        map[string]injectedFault // next rollout's fault, by endpoint
	trips         map[string]string        // alarm to trip in next rollout

	seq uint64 // orders resources kept in maps by creation
}

func (st *state) next() uint64 {
	st.seq++
	return st.seq
}

func newState(account, region string) *state {
	return &state{
		account:            account,
		region:             region,
		groups:             map[string]*ModelPackageGroup{},
		tokens:             map[string]*ModelPackage{},
		models:             map[string]*Model{},
		configs:            map[string]*EndpointConfig{},
		endpoints:          map[string]*Endpoint{},
		trainingJobs:       map[string]*TrainingJob{},
		processingJobs:     map[string]*ProcessingJob{},
		pipelines:          map[string]*Pipeline{},
		pipelineExecutions: map[string]*PipelineExecution{},
		modelCards:         map[string][]*ModelCard{},
		entities:           map[string]LineageEntity{},
		tags:               map[string][]Tag{},
	}
}

// Snapshot is a deep copy of what one account holds in one region, for tests
// to assert on.
type Snapshot struct {
	ModelPackageGroups []ModelPackageGroup
	ModelPackages      []ModelPackage
	Models             []Model
	EndpointConfigs    []EndpointConfig
	Endpoints          []Endpoint
	// Tags maps resource ARNs to their tags.
	Tags map[string][]Tag
}

// Snapshot returns a deep copy of the resources of account in region. Maps
// are listed in creation order.
func (s *Service) Snapshot(account, region string) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	snap := Snapshot{Tags: clone(st.tags)}
	for _, g := range inOrder(st.groups, func(g *ModelPackageGroup) uint64 { return g.seq }) {
		snap.ModelPackageGroups = append(snap.ModelPackageGroups, clone(*g))
	}
	for _, p := range st.packages {
		snap.ModelPackages = append(snap.ModelPackages, clone(*p))
	}
	for _, m := range inOrder(st.models, func(m *Model) uint64 { return m.seq }) {
		snap.Models = append(snap.Models, clone(*m))
	}
	for _, c := range inOrder(st.configs, func(c *EndpointConfig) uint64 { return c.seq }) {
		snap.EndpointConfigs = append(snap.EndpointConfigs, clone(*c))
	}
	for _, e := range inOrder(st.endpoints, func(e *Endpoint) uint64 { return e.seq }) {
		snap.Endpoints = append(snap.Endpoints, e.snapshot())
	}
	return snap
}
