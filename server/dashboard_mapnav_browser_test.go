package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDashboardMapLabelsBrowser: every aimag and the capital is named on the map, Ulaanbaatar
// (too small for its name) beside it with a leader line that starts inside it, and no two names
// overlap.
func TestDashboardMapLabelsBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedBrowserDemo(t, m)
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1400, 1000)
	browserSignIn(t, ctx, base, "hq")
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, base+"/dashboard/units?lang="+lang)
		res, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
			var out = [], svg = document.getElementById("aimag-map");
			var names = Array.from(svg.querySelectorAll("text"));
			var paths = svg.querySelectorAll("path[data-code]");
			if (names.length !== paths.length) out.push(names.length + " names for " + paths.length + " shapes");
			for (var i = 0; i < names.length; i++) {
				var a = names[i].getBoundingClientRect();
				for (var j = i + 1; j < names.length; j++) {
					var b = names[j].getBoundingClientRect();
					if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
						out.push("overlap: " + names[i].textContent + " / " + names[j].textContent);
				}
			}
			var cap = svg.querySelector('path[data-code="MN-1"]'), line = svg.querySelector("line.leader");
			var label = svg.querySelector('text[data-code="MN-1"]');
			if (!label) { out.push("no label for the capital"); return out; }
			out.push("capital=" + label.textContent);
			if (!line) { out.push("no leader line"); return out; }
			var pt = svg.createSVGPoint(); pt.x = line.x1.baseVal.value; pt.y = line.y1.baseVal.value;
			if (!cap.isPointInFill(pt)) out.push("leader line starts outside the capital");
			var lb = label.getBBox(), cb = cap.getBBox();
			if (lb.x < cb.x + cb.width && cb.x < lb.x + lb.width && lb.y < cb.y + cb.height && cb.y < lb.y + lb.height)
				out.push("capital's name lies on the capital");
			return out;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"mn": "capital=Улаанбаатар", "en": "capital=Ulaanbaatar"}[lang]
		if len(res) != 1 || res[0] != want {
			t.Errorf("%s map: %s (want only %q)", lang, strings.Join(res, "; "), want)
		}
	}
}

// TestDashboardPhoneNavBrowser: on a 390 px phone the navigation, one line that scrolls
// sideways, shows a hint at the edge where more items follow, drops it at the end, and opens
// scrolled so the current page's item is in view.
func TestDashboardPhoneNavBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedBrowserDemo(t, m)
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 390, 844)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, base, "hq")
	// hints reads whether the hints at the start and end are shown, and whether the nav overflows.
	hints := func() []bool {
		t.Helper()
		h, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`(function () {
			var nav = document.querySelector("header nav");
			function shown(sel) {
				var e = document.querySelector(sel);
				if (!e) return false;
				var s = getComputedStyle(e), r = e.getBoundingClientRect();
				return s.display !== "none" && s.visibility !== "hidden" && Number(s.opacity) > 0.5 && r.width > 0 && r.height > 0;
			}
			return [nav.scrollWidth > nav.clientWidth + 1, shown(".nav-more.start"), shown(".nav-more.end")];
		})()`))
		if err != nil || len(h) != 3 {
			t.Fatalf("nav hints: %v", err)
		}
		return h
	}
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, base+"/dashboard/?lang="+lang)
		if h := hints(); !h[0] || h[1] || !h[2] {
			t.Errorf("%s overview: overflows %v, start hint %v (want false), end hint %v (want true)", lang, h[0], h[1], h[2])
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () { var n = document.querySelector("header nav"); n.scrollLeft = n.scrollWidth; return true; })()`)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function () { var e = document.querySelector(".nav-more.end"); return !!e && getComputedStyle(e).opacity < 0.5; })()`)); err != nil {
			t.Errorf("%s: end hint still shown at the end of the nav: %v", lang, err)
		}
		if h := hints(); !h[1] {
			t.Errorf("%s: no start hint once scrolled to the end", lang)
		}
		// The report, the last item, is in view when its page opens.
		open(t, ctx, base+"/dashboard/report?lang="+lang)
		in, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
			var nav = document.querySelector("header nav"), a = nav.querySelector("a.on");
			var n = nav.getBoundingClientRect(), r = a.getBoundingClientRect();
			return r.left >= n.left - 1 && r.right <= n.right + 1;
		})()`))
		if err != nil || !in {
			t.Errorf("%s report page: its nav item is scrolled out of view (%v)", lang, err)
		}
	}
	// On a laptop the nav fits and shows no hint.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 900)); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, base+"/dashboard/?lang=mn")
	if h := hints(); h[0] || h[1] || h[2] {
		t.Errorf("laptop nav: overflows %v, hints %v %v, want none", h[0], h[1], h[2])
	}
}
