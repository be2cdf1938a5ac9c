package manifest

import (
	"fmt"
	"regexp"
	"slices"
)

// Notification is one outgoing notification target in the configuration:
// a Slack incoming webhook, a Microsoft Teams workflow webhook, or a
// generic JSON webhook (CloudEvents, HMAC-signed). Its URL and secret come
// from the environment of the process that runs modelpromote (an Actions
// secret, the server's environment) or a mounted file, never from the
// repository: a webhook URL is a credential.
type Notification struct {
	// Name identifies the target in logs and metrics.
	Name string `yaml:"name" json:"name"`
	// Kind is slack, teams or webhook.
	Kind string `yaml:"kind" json:"kind"`
	// URLEnv names the environment variable holding the URL; URLFile a
	// file holding it. Exactly one is set.
	URLEnv  string `yaml:"urlEnv,omitempty" json:"urlEnv,omitempty"`
	URLFile string `yaml:"urlFile,omitempty" json:"urlFile,omitempty"`
	// SecretEnv or SecretFile hold the HMAC key of a webhook target
	// (required for kind webhook, refused for the others).
	SecretEnv  string `yaml:"secretEnv,omitempty" json:"secretEnv,omitempty"`
	SecretFile string `yaml:"secretFile,omitempty" json:"secretFile,omitempty"`
	// Stages limits the target to these stages (default: every stage).
	Stages []string `yaml:"stages,omitempty" json:"stages,omitempty"`
	// Events limits the target to these events (default: all of them).
	Events []string `yaml:"events,omitempty" json:"events,omitempty"`
}

// Notification kinds.
const (
	NotifySlack   = "slack"
	NotifyTeams   = "teams"
	NotifyWebhook = "webhook"
)

// NotificationEvents are the events a target can ask for.
var NotificationEvents = []string{"applied", "failed", "rolledBack", "blockedByFreeze", "drift"}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkNotifications(c *checker, ns []Notification, stages map[string]int) {
	names := map[string]int{}
	for i, n := range ns {
		f := func(name string) string { return fmt.Sprintf("notifications[%d].%s", i, name) }
		if c.required(f("name"), n.Name) {
			if j, dup := names[n.Name]; dup {
				c.at(f("name"), "notification %q is already defined (notifications[%d])", n.Name, j)
			}
			names[n.Name] = i
		}
		switch n.Kind {
		case NotifySlack, NotifyTeams, NotifyWebhook:
		default:
			c.at(f("kind"), "%s must be slack, teams or webhook, not %q", f("kind"), n.Kind)
		}
		source(c, f, "url", n.URLEnv, n.URLFile, true)
		source(c, f, "secret", n.SecretEnv, n.SecretFile, n.Kind == NotifyWebhook)
		if n.Kind != NotifyWebhook && (n.SecretEnv != "" || n.SecretFile != "") {
			c.at(f("secretEnv"), "%s: only webhook targets are signed; slack and teams URLs carry their own secret", f("secretEnv"))
		}
		for k, s := range n.Stages {
			if _, ok := stages[s]; !ok {
				c.at(fmt.Sprintf("notifications[%d].stages[%d]", i, k), "notifications[%d].stages[%d]: no environment is named %q", i, k, s)
			}
		}
		for k, e := range n.Events {
			if !slices.Contains(NotificationEvents, e) {
				c.at(fmt.Sprintf("notifications[%d].events[%d]", i, k), "notifications[%d].events[%d]: %q is not one of %v", i, k, e, NotificationEvents)
			}
		}
	}
}

// source checks that exactly one of NAMEEnv and NAMEFile is set, when
// required, and that the variable name is one.
func source(c *checker, f func(string) string, name, env, file string, required bool) {
	switch {
	case env != "" && file != "":
		c.at(f(name+"Env"), "%s and %s: set one, not both", f(name+"Env"), f(name+"File"))
	case env == "" && file == "" && required:
		c.atKey(f("name"), "%s or %s is required (the %s is never written in the repository)", f(name+"Env"), f(name+"File"), name)
	case env != "" && !envNameRE.MatchString(env):
		c.at(f(name+"Env"), "%s: %q is not an environment variable name", f(name+"Env"), env)
	}
}
