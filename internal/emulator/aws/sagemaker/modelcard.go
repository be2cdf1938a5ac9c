package sagemaker

import (
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

func (s *Service) describeModelCard(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ModelCardName    string
		ModelCardVersion int32
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelCardName, "modelCardName"); err != nil {
		return nil, err
	}
	name := nameFromARN(in.ModelCardName, "model-card")
	versions := st.modelCards[name]
	if len(versions) == 0 {
		return nil, resourceNotFound("Model card %s does not exist.", name)
	}
	if in.ModelCardVersion == 0 {
		return versions[len(versions)-1], nil
	}
	if in.ModelCardVersion < 0 || int(in.ModelCardVersion) > len(versions) {
		return nil, resourceNotFound("Model card %s version %d does not exist.", name, in.ModelCardVersion)
	}
	return versions[in.ModelCardVersion-1], nil
}
