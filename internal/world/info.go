package world

import (
	"crypto/rand"
	"encoding/hex"
	"sort"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// Info describes a running world for people and other tools (the AWS CLI,
// curl): endpoints, accounts and their credentials, the GitHub App. These
// are emulator credentials, valid only against these emulators.
type Info struct {
	AWS struct {
		Endpoint string        `json:"endpoint"`
		Region   string        `json:"region"`
		Accounts []AccountInfo `json:"accounts"`
		// Bot is the identity modelpromote runs as (tools account).
		Bot AccountInfo `json:"bot"`
	} `json:"aws"`
	GitHub struct {
		APIURL           string            `json:"apiUrl"`
		EnterpriseAPIURL string            `json:"enterpriseApiUrl"`
		Repository       string            `json:"repository"`
		AppID            int64             `json:"appId"`
		AppSlug          string            `json:"appSlug"`
		AppPrivateKeyPEM string            `json:"appPrivateKeyPem"`
		WebhookSecret    string            `json:"webhookSecret"`
		WebhookURL       string            `json:"webhookUrl,omitempty"`
		InstallationID   int64             `json:"installationId"`
		BotToken         string            `json:"botToken"`
		UserTokens       map[string]string `json:"userTokens"`
	} `json:"github"`
}

// AccountInfo is one AWS account and credentials in it.
type AccountInfo struct {
	Name            string `json:"name"`
	ID              string `json:"id"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// Describe returns the world's Info. With a webhookURL, the App's webhook
// is registered to deliver there, signed with a fresh secret.
func (w *World) Describe(webhookURL string) Info {
	var in Info
	in.AWS.Endpoint, in.AWS.Region = w.AWS.URL(), Region
	names := map[string]string{DevAccount: "dev", StagingAccount: "staging", ProdAccount: "prod", ToolsAccount: "tools", CentralAccount: "ml-shared",
		GovernanceAccount: "governance"}
	for id, c := range w.Admin {
		in.AWS.Accounts = append(in.AWS.Accounts, AccountInfo{Name: names[id], ID: id, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey})
	}
	sort.Slice(in.AWS.Accounts, func(i, j int) bool { return in.AWS.Accounts[i].ID < in.AWS.Accounts[j].ID })
	in.AWS.Bot = AccountInfo{Name: "modelpromote", ID: ToolsAccount, AccessKeyID: w.Bot.AccessKeyID, SecretAccessKey: w.Bot.SecretAccessKey}
	app := w.GitHub.App()
	in.GitHub.APIURL, in.GitHub.EnterpriseAPIURL, in.GitHub.Repository = w.GitHub.URL(), w.GitHub.EnterpriseURL(), Repo
	in.GitHub.AppID, in.GitHub.AppSlug, in.GitHub.AppPrivateKeyPEM = app.ID, app.Slug, string(app.PrivateKeyPEM)
	in.GitHub.InstallationID, in.GitHub.BotToken, in.GitHub.UserTokens = w.GitHub.Install(Org), w.BotToken, w.Tokens
	secret := make([]byte, 20)
	_, _ = rand.Read(secret)
	in.GitHub.WebhookSecret = hex.EncodeToString(secret)
	if webhookURL != "" {
		in.GitHub.WebhookURL = webhookURL
		w.GitHub.AddWebhook(ghemu.Webhook{URL: webhookURL, Secret: in.GitHub.WebhookSecret})
	}
	return in
}
