// Package calibrate turns an organisation's Genesys Cloud history
// (conversation details, user presence and routing-status segments,
// skills, WFM schedules) into a simulator scenario: it fits arrival
// rates, handle and after-call-work times, offer outcomes, caller
// patience (with censoring), presence shares, meetings, breaks and churn,
// and writes a commented scenario YAML plus a calibration report. It is
// pure: the reading is done by genesys (Client.CalibrationData).
package calibrate

import "github.com/shadowq/shadowq/calibrate/record"

// The history calibrate fits (see package record).
type (
	Data         = record.Data
	User         = record.User
	PresenceDef  = record.PresenceDef
	Segment      = record.Segment
	Meeting      = record.Meeting
	Conversation = record.Conversation
	Alert        = record.Alert
)
