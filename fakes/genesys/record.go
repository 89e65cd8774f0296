package genesys

// Live conversations become analytics detail records when they end: the
// fake's history store (History) then answers the conversation details
// query for them as for the generated past, with the participants and
// segments the deliveries (shadowq's /assign, the fake's ACD, preferred
// routing) produced.

// record appends c's detail record to the history store. Callers hold
// s.mu; c has ended.
func (s *Server) record(c *conversation) {
	media := "voice"
	if c.media == "message" {
		media = "message"
	}
	call := ACDCall{ID: c.id, QueueID: c.queue.ID, MediaType: media, Start: c.start, SkillIDs: c.skillIDs}
	var accepted *CallAlert
	for _, d := range s.deliveries {
		if d.conv != c {
			continue
		}
		a := CallAlert{UserID: d.user.ID, Start: d.alert, End: d.end, Outcome: AlertNoAnswer}
		switch d.outcome {
		case outcomeAccepted:
			a.Outcome = AlertAccepted
		case outcomeDeclined:
			a.Outcome = AlertDeclined
		}
		if a.End.IsZero() {
			a.End = c.end
		}
		if accepted != nil {
			// A detail record carries at most one accepted alert, the
			// last (ACDCall): a later offer (a transfer) is not recorded.
			continue
		}
		call.Alerts = append(call.Alerts, a)
		if a.Outcome == AlertAccepted {
			accepted = &call.Alerts[len(call.Alerts)-1]
		}
	}
	if accepted != nil {
		call.Talk = c.end.Sub(accepted.End)
	} else {
		call.End, call.Abandoned = c.end, c.abandoned
	}
	s.history.AppendConversations(call.Conversation())
}

// AbandonConversation ends a conversation nobody has answered, as a
// customer hanging up in queue (recorded as abandoned). It reports
// whether it did: a conversation connected to an agent, or already
// ended, is left alone.
func (s *Server) AbandonConversation(convID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[convID]
	if c == nil {
		return false, errNoConversation(convID)
	}
	if !c.end.IsZero() || c.agent != nil {
		return false, nil
	}
	c.abandoned = true
	s.endConversation(c)
	return true, nil
}
