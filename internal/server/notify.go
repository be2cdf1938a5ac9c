package server

import (
	"fmt"
	"io"
	"sort"

	"github.com/modelpromote/modelpromote/internal/notify"
)

// writeNotifications writes the notification deliveries by target and
// result (sent, failed): a failed notification never fails a promotion,
// so this counter is how anyone notices.
func writeNotifications(w io.Writer, counts map[string]notify.Count) {
	const name = "modelpromote_notifications_total"
	fmt.Fprintf(w, "# HELP %s Notifications delivered or given up on, by target and result.\n# TYPE %s counter\n", name, name)
	targets := make([]string, 0, len(counts))
	for t := range counts {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		fmt.Fprintf(w, "%s{target=%q,result=\"sent\"} %d\n%s{target=%q,result=\"failed\"} %d\n", name, t, counts[t].Sent, name, t, counts[t].Failed)
	}
}
