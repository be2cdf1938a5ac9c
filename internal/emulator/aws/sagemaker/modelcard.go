package sagemaker

import (
	"cmp"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// ModelCard is one version of a model card.
type ModelCard struct {
	ModelCardName    string
	ModelCardArn     string
	ModelCardVersion int32
	// Content is the card's JSON document.
	Content          string
	ModelCardStatus  string
	CreationTime     Timestamp
	LastModifiedTime Timestamp `json:",omitzero"`
}

func init() {
	handlers["DescribeModelCard"] = (*Service).describeModelCard
	handlers["ListModelCards"] = (*Service).listModelCards
}

// SeedModelCard adds a new version of a model card (version 1 for a new
// card). Status defaults to Draft; Content must be JSON.
func (s *Service) SeedModelCard(account, region string, c ModelCard) ModelCard {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	versions := st.modelCards[c.ModelCardName]
	now := stamp(s.now())
	c.ModelCardArn = st.arn("model-card", c.ModelCardName)
	c.ModelCardVersion = int32(len(versions) + 1)
	c.ModelCardStatus = or(c.ModelCardStatus, "Draft")
	c.Content = or(c.Content, "{}")
	if len(versions) > 0 {
		c.CreationTime = versions[0].CreationTime
	} else {
		c.CreationTime = now
	}
	c.LastModifiedTime = now
	st.modelCards[c.ModelCardName] = append(versions, &c)
	return c
}

// cardVersions finds a card's versions by name or ARN: ResourceNotFound,
// as DescribeModelCard, UpdateModelCard and ListModelCardVersions answer,
// when there is none.
func (st *state) cardVersions(nameOrARN string) ([]*ModelCard, string, error) {
	if err := required(nameOrARN, "modelCardName"); err != nil {
		return nil, "", err
	}
	name := nameFromARN(nameOrARN, "model-card")
	versions := st.modelCards[name]
	if len(versions) == 0 {
		return nil, name, resourceNotFound("Model card %s does not exist.", name)
	}
	return versions, name, nil
}

func (s *Service) describeModelCard(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ModelCardName    string
		ModelCardVersion int32
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	versions, name, err := st.cardVersions(in.ModelCardName)
	if err != nil {
		return nil, err
	}
	if in.ModelCardVersion == 0 {
		return versions[len(versions)-1], nil
	}
	if in.ModelCardVersion < 0 || int(in.ModelCardVersion) > len(versions) {
		return nil, resourceNotFound("Model card %s version %d does not exist.", name, in.ModelCardVersion)
	}
	return versions[in.ModelCardVersion-1], nil
}

// listModelCards lists the latest version of each card: NameContains,
// ModelCardStatus and a creation time window filter; SortBy Name or
// CreationTime (the default) and SortOrder order them. See
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelCards.html
func (s *Service) listModelCards(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		listFilter
		ModelCardStatus string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	latest := map[string]*ModelCard{}
	var items []nameSummary
	for _, versions := range st.modelCards {
		c := versions[len(versions)-1]
		if in.ModelCardStatus != "" && c.ModelCardStatus != in.ModelCardStatus {
			continue
		}
		latest[c.ModelCardArn] = c
		items = append(items, nameSummary{c.ModelCardName, c.ModelCardArn, c.CreationTime})
	}
	// Creation order, which list expects, is creation time then name.
	slices.SortFunc(items, func(a, b nameSummary) int {
		return cmp.Or(a.creationTime.Compare(b.creationTime.Time), strings.Compare(a.name, b.name))
	})
	page, next, err := in.list(items)
	if err != nil {
		return nil, err
	}
	type summary struct {
		ModelCardName, ModelCardArn, ModelCardStatus string
		CreationTime                                 Timestamp
		LastModifiedTime                             Timestamp `json:",omitzero"`
	}
	out := []summary{}
	for _, it := range page {
		c := latest[it.arn]
		out = append(out, summary{c.ModelCardName, c.ModelCardArn, c.ModelCardStatus, c.CreationTime, c.LastModifiedTime})
	}
	return struct {
		ModelCardSummaries []summary
		NextToken          string `json:",omitempty"`
	}{out, next}, nil
}
