package genesys

import (
	"net/http"
	"testing"
)

// Definitions are created once (a second with the same name is 409);
// data of type Total replaces the day's value (idempotent), Cumulative
// adds; a bad item refuses the whole request; /_fake/state shows both.
func TestExternalMetricsStoredAndIdempotent(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.do("POST", "/api/v2/employeeperformance/externalmetrics/definitions", "", `{"name":"shadowq deliveries offered","unit":"Number","precision":0,"defaultObjectiveType":"TargetArea","enabled":true}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create: %s %s", res.Status, body)
	}
	var def ExternalMetricDefinition
	mustJSON(t, body, &def)
	res, body = f.do("POST", "/api/v2/employeeperformance/externalmetrics/definitions", "", `{"name":"shadowq deliveries offered","unit":"Number"}`)
	checkError(t, res, body, http.StatusConflict, "request.conflict")
	res, body = f.do("POST", "/api/v2/employeeperformance/externalmetrics/definitions", "", `{"name":"x","unit":"Furlongs"}`)
	checkError(t, res, body, http.StatusBadRequest, codeInvalidValue)

	item := `{"userId":"u1","metricId":"` + def.ID + `","dateOccurred":"2026-11-02","value":7,"type":"Total"}`
	for range 2 {
		if res, body := f.do("POST", "/api/v2/employeeperformance/externalmetrics/data", "", `{"items":[`+item+`]}`); res.StatusCode != http.StatusOK {
			t.Fatalf("data: %s %s", res.Status, body)
		}
	}
	bad := `{"userId":"u2","metricId":"` + def.ID + `","dateOccurred":"2 Nov","value":1}`
	res, body = f.do("POST", "/api/v2/employeeperformance/externalmetrics/data", "", `{"items":[`+bad+`]}`)
	if e := checkError(t, res, body, http.StatusBadRequest, codeInvalidValue); e.Details[0].FieldName != "items[0].dateOccurred" {
		t.Errorf("bad date names %q", e.Details[0].FieldName)
	}
	var st State
	res, body = f.admin("GET", "/_fake/state", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("state: %s %s", res.Status, body)
	}
	mustJSON(t, body, &st)
	if len(st.ExternalMetricDefinitions) != 1 || len(st.ExternalMetricData) != 1 {
		t.Fatalf("state: %+v / %+v", st.ExternalMetricDefinitions, st.ExternalMetricData)
	}
	if v := st.ExternalMetricData[0]; v.Value != 7 || v.Writes != 2 || v.UserID != "u1" {
		t.Fatalf("stored %+v, want 7 after two Total writes of 7", v)
	}
}
