package genesys

import (
	"net/http"
	"testing"
)

func TestQueueMembers(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.login()
	var page struct {
		Entities []queueMemberJSON `json:"entities"`
		Total    int               `json:"total"`
	}
	res, body := f.do("GET", "/api/v2/routing/queues/"+DemoQueueID+"/members?pageSize=3&pageNumber=1&expand=routingStatus", tok, "")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	mustJSON(t, body, &page)
	if len(page.Entities) != 3 || page.Total != 8 || page.Entities[0].User.ID == "" || !page.Entities[0].Joined || page.Entities[0].Routing == nil {
		t.Fatalf("page %+v", page)
	}
	res, body = f.do("GET", "/api/v2/routing/queues/"+DemoQueueID+"/members?joined=false", tok, "")
	mustJSON(t, body, &page)
	if res.StatusCode != 200 || len(page.Entities) != 0 {
		t.Fatalf("joined=false: %d %s", res.StatusCode, body)
	}
	res, body = f.do("GET", "/api/v2/routing/queues/nope/members", tok, "")
	checkError(t, res, body, http.StatusNotFound, "not.found")
	res, body = f.do("GET", "/api/v2/routing/queues/"+DemoQueueID+"/members?pageSize=101", tok, "")
	if res.StatusCode != 400 {
		t.Fatalf("pageSize 101: %d %s", res.StatusCode, body)
	}
}
