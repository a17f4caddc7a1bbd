package dashboard

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// aimagMap is the aimag shapes projected once at start-up into SVG path data. The projection is
// equirectangular with longitudes shrunk by cos(47°), Mongolia's middle latitude: at this scale
// it is indistinguishable from Mercator, and it needs no map library in the browser.
type aimagMap struct {
	Width, Height int
	Paths         []aimagPath
}

type aimagPath struct {
	Code string
	D    string
	// LX, LY is where the aimag's name is written, inside its largest polygon; Small is for an
	// aimag too small for the usual letters (Orkhon, Darkhan-Uul, Govisümber).
	LX, LY string
	Small  bool
	// Box is the shape's bounding box (x0, y0, x1, y1), where a name too long for it is put
	// beside it.
	Box [4]float64
}

type geoFeature struct {
	Properties struct {
		Code string `json:"code"`
	} `json:"properties"`
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

// parseAimagMap projects a GeoJSON FeatureCollection of polygons into a width-wide SVG.
func parseAimagMap(b []byte, width int) (*aimagMap, error) {
	var fc struct {
		Features []geoFeature `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("decode geojson: %w", err)
	}
	type shape struct {
		code  string
		polys [][][][2]float64 // polygons → rings → points
	}
	var shapes []shape
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	k := math.Cos(47 * math.Pi / 180)
	for _, f := range fc.Features {
		s := shape{code: f.Properties.Code}
		switch f.Geometry.Type {
		case "Polygon":
			var p [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				return nil, fmt.Errorf("polygon %s: %w", s.code, err)
			}
			s.polys = [][][][2]float64{p}
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &s.polys); err != nil {
				return nil, fmt.Errorf("multipolygon %s: %w", s.code, err)
			}
		default:
			continue
		}
		for _, p := range s.polys {
			for _, r := range p {
				for i, pt := range r {
					x, y := pt[0]*k, -pt[1]
					r[i] = [2]float64{x, y}
					minX, maxX = math.Min(minX, x), math.Max(maxX, x)
					minY, maxY = math.Min(minY, y), math.Max(maxY, y)
				}
			}
		}
		shapes = append(shapes, s)
	}
	if len(shapes) == 0 {
		return nil, fmt.Errorf("no polygons")
	}
	scale := float64(width) / (maxX - minX)
	m := &aimagMap{Width: width, Height: int(math.Ceil((maxY - minY) * scale))}
	// Each aimag's name goes in its largest polygon. The small ones are placed first; a large
	// one's name then keeps clear of theirs (Bulgan's of Orkhon's), a box of about a name's size
	// in the map's units.
	largest := make([][][][2]float64, len(shapes))
	small := make([]bool, len(shapes))
	for i, s := range shapes {
		var best float64
		for _, p := range s.polys {
			if len(p) > 0 {
				if a, _, _ := ringCentroid(p[0]); math.Abs(a) > best {
					best, largest[i] = math.Abs(a), p
				}
			}
		}
		small[i] = best*scale*scale < 2500
	}
	lx, ly := make([]float64, len(shapes)), make([]float64, len(shapes))
	var taken [][2]float64
	for i := range shapes {
		if small[i] {
			lx[i], ly[i] = labelPoint(largest[i], nil, 0, 0)
			taken = append(taken, [2]float64{lx[i], ly[i]})
		}
	}
	for i := range shapes {
		if !small[i] {
			lx[i], ly[i] = labelPoint(largest[i], taken, 55/scale, 16/scale)
		}
	}
	for i, s := range shapes {
		var d strings.Builder
		bx0, by0, bx1, by1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range s.polys {
			for _, r := range p {
				for i, pt := range r {
					if i == 0 {
						d.WriteByte('M')
					} else {
						d.WriteByte('L')
					}
					x, y := (pt[0]-minX)*scale, (pt[1]-minY)*scale
					bx0, bx1, by0, by1 = math.Min(bx0, x), math.Max(bx1, x), math.Min(by0, y), math.Max(by1, y)
					d.WriteString(strconv.FormatFloat(x, 'f', 1, 64))
					d.WriteByte(' ')
					d.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
				}
				d.WriteByte('Z')
			}
		}
		m.Paths = append(m.Paths, aimagPath{Code: s.code, D: d.String(),
			LX: num((lx[i] - minX) * scale), LY: num((ly[i] - minY) * scale), Small: small[i],
			Box: [4]float64{bx0, by0, bx1, by1}})
	}
	return m, nil
}

// num is an SVG coordinate, to a tenth of a pixel.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// labelPoint is where a polygon's name reads best: the point inside it farthest from its edges
// (a coarse grid search, then a finer one around the best point), so a name lands in the wide
// part of a curved aimag and not on a neighbour enclosed by it. Done once at start-up.
// Points closer than keepX, keepY to one of avoid (other names) are passed over when any other
// point is inside.
func labelPoint(poly [][][2]float64, avoid [][2]float64, keepX, keepY float64) (float64, float64) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, pt := range poly[0] {
		minX, maxX = math.Min(minX, pt[0]), math.Max(maxX, pt[0])
		minY, maxY = math.Min(minY, pt[1]), math.Max(maxY, pt[1])
	}
	clear := func(x, y float64) bool {
		for _, a := range avoid {
			if math.Abs(x-a[0]) < keepX && math.Abs(y-a[1]) < keepY {
				return false
			}
		}
		return true
	}
	_, bx, by := ringCentroid(poly[0])
	bestD := -1.0
	if inside(poly, bx, by) && clear(bx, by) {
		bestD = edgeDistance(poly, bx, by)
	}
	search := func(x0, y0, x1, y1 float64) {
		const n = 24
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				x, y := x0+(x1-x0)*float64(i)/n, y0+(y1-y0)*float64(j)/n
				if !inside(poly, x, y) || !clear(x, y) {
					continue
				}
				if d := edgeDistance(poly, x, y); d > bestD {
					bestD, bx, by = d, x, y
				}
			}
		}
	}
	search(minX, minY, maxX, maxY)
	dx, dy := (maxX-minX)/24, (maxY-minY)/24
	search(bx-dx, by-dy, bx+dx, by+dy)
	return bx, by
}

// inside tells whether a point is inside a polygon with holes (even-odd over every ring).
func inside(poly [][][2]float64, x, y float64) bool {
	in := false
	for _, r := range poly {
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			a, b := r[i], r[j]
			if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}

// edgeDistance is a point's distance to the nearest edge of a polygon's rings.
func edgeDistance(poly [][][2]float64, x, y float64) float64 {
	d := math.Inf(1)
	for _, r := range poly {
		for i := 1; i < len(r); i++ {
			a, b := r[i-1], r[i]
			vx, vy := b[0]-a[0], b[1]-a[1]
			t := 0.0
			if l := vx*vx + vy*vy; l > 0 {
				t = math.Max(0, math.Min(1, ((x-a[0])*vx+(y-a[1])*vy)/l))
			}
			px, py := a[0]+t*vx-x, a[1]+t*vy-y
			d = math.Min(d, px*px+py*py)
		}
	}
	return math.Sqrt(d)
}

// ringCentroid is a closed ring's signed area and centroid (the shoelace formula).
func ringCentroid(r [][2]float64) (area, cx, cy float64) {
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		cross := a[0]*b[1] - b[0]*a[1]
		area += cross
		cx += (a[0] + b[0]) * cross
		cy += (a[1] + b[1]) * cross
	}
	if area == 0 {
		return 0, r[0][0], r[0][1]
	}
	area /= 2
	return area, cx / (6 * area), cy / (6 * area)
}

// shade is a colour on a light-to-dark blue ramp for share in [0, 1]; grey for no data.
func shade(share float64, has bool) string {
	if !has {
		return "#e5e7eb"
	}
	share = math.Max(0, math.Min(1, share))
	lo, hi := [3]float64{0xea, 0xf2, 0xfb}, [3]float64{0x08, 0x3d, 0x8c}
	var c [3]int
	for i := range c {
		c[i] = int(lo[i] + (hi[i]-lo[i])*share + 0.5)
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}
