package genesys

import "net/http"

// routes registers every endpoint. Patterns use Go's method-aware mux; a
// GET pattern also answers HEAD.
func (s *Server) routes() {
	s.mux = http.NewServeMux()

	s.mux.Handle("POST /oauth/token", s.loginChain(s.handleToken))

	// Tokens.
	s.api("GET /api/v2/tokens/me", s.handleTokenInfo)
	s.api("DELETE /api/v2/tokens/me", s.handleTokenDelete)

	// Users and routing skills.
	s.api("GET /api/v2/users", s.handleUsers)
	s.api("GET /api/v2/users/{userId}", s.handleUser)
	s.api("GET /api/v2/users/{userId}/routingskills", s.handleUserSkills)
	s.api("GET /api/v2/users/{userId}/routingstatus", s.handleRoutingStatus)
	s.api("GET /api/v2/routing/queues", s.handleQueues)
	s.api("GET /api/v2/routing/queues/{queueId}/members", s.handleQueueMembers)

	// Presence.
	s.api("GET /api/v2/presence/definitions", s.handlePresenceDefinitions)
	s.api("GET /api/v2/presence/definitions/{definitionId}", s.handlePresenceDefinition)
	s.api("GET /api/v2/users/{userId}/presences/purecloud", s.handleUserPresence)
	s.api("PATCH /api/v2/users/{userId}/presences/purecloud", s.handlePatchUserPresence)
	s.api("GET /api/v2/users/presences/purecloud/bulk", s.handleBulkPresence)

	// Conversations and routing.
	s.api("GET /api/v2/conversations/{conversationId}", s.handleConversation)
	s.api("POST /api/v2/conversations/{conversationId}/assign", s.handleAssign)
	s.api("PATCH /api/v2/routing/conversations/{conversationId}", s.handleRoutingConversation)
	s.api("POST /api/v2/conversations/{conversationId}/participants/{participantId}/replace/agent", s.handleReplaceAgent)

	// Analytics.
	s.api("POST /api/v2/analytics/users/details/query", s.handleUserDetailsQuery)
	s.api("POST /api/v2/analytics/users/activity/query", s.handleUserActivityQuery)
	s.api("POST /api/v2/analytics/conversations/details/query", s.handleConversationDetailsQuery)
	s.api("POST /api/v2/analytics/conversations/details/jobs", s.handleDetailsJobCreate)
	s.api("GET /api/v2/analytics/conversations/details/jobs/{jobId}", s.handleDetailsJobStatus)
	s.api("GET /api/v2/analytics/conversations/details/jobs/{jobId}/results", s.handleDetailsJobResults)

	// Workforce Management (403 with Options.NoWFM).
	s.api("GET /api/v2/workforcemanagement/businessunits", s.handleBusinessUnits)
	s.api("GET /api/v2/workforcemanagement/businessunits/{buId}/activitycodes", s.handleActivityCodes)
	s.api("POST /api/v2/workforcemanagement/businessunits/{buId}/agentschedules/search", s.handleScheduleSearch)

	// Performance management: external metrics.
	s.api("GET /api/v2/employeeperformance/externalmetrics/definitions", s.handleMetricDefinitions)
	s.api("POST /api/v2/employeeperformance/externalmetrics/definitions", s.handleCreateMetricDefinition)
	s.api("POST /api/v2/employeeperformance/externalmetrics/data", s.handleMetricData)

	// Notification API, served by Options.Notifications.
	if n := s.opts.Notifications; n != nil {
		s.api("/api/v2/notifications/", func(w http.ResponseWriter, r *http.Request, _ *call) { n.ServeHTTP(w, r) })
		s.mux.Handle("/channels/", n) // connectUri is pre-authorised
	}

	// Admin API.
	s.admin("GET /_fake/state", s.handleAdminState)
	s.admin("GET /_fake/truth", s.handleAdminTruth)
	s.admin("POST /_fake/conversations", s.handleAdminCreateConversation)
	s.admin("POST /_fake/conversations/{conversationId}/acd", s.handleAdminReleaseToACD)
	s.admin("POST /_fake/conversations/{conversationId}/abandon", s.handleAdminAbandon)
	s.admin("PUT /_fake/users/{userId}/presence", s.handleAdminSetPresence)
	s.admin("PUT /_fake/users/{userId}/answer", s.handleAdminSetAnswer)
	s.admin("POST /_fake/presence/generate", s.handleAdminStartGenerator)
	s.admin("GET /_fake/presence/generate", s.handleAdminGeneratorStatus)
	s.admin("DELETE /_fake/presence/generate", s.handleAdminStopGenerator)
	s.admin("GET /_fake/faults", s.handleAdminGetFaults)
	s.admin("POST /_fake/faults", s.handleAdminSetFaults)
	s.admin("POST /_fake/revoke-tokens", s.handleAdminRevokeTokens)

	s.mux.HandleFunc("/", s.handleNoRoute)
	s.handler = s.recoverer(s.countRouting(s.mux))
}
