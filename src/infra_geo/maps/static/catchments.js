{% macro script(this, kwargs) %}
// Catchment rings (infra_geo.maps._layers): each layer stores only its own ring, the area
// reached at its threshold and not at the one before, as encoded-polyline text; a layer
// "15 min" draws the rings of 5, 10 and 15 min as one polygon: the whole 15-minute area.
function igUnpack(pk) {
    if (pk.ll) { return pk.ll; }
    var s = pk.c, i = 0, lat = 0, lng = 0, r = 0, out = [];
    function next() {
        var b, shift = 0, res = 0;
        do { b = s.charCodeAt(i++) - 63; res |= (b & 31) << shift; shift += 5; } while (b >= 32);
        return (res & 1) ? ~(res >> 1) : (res >> 1);
    }
    for (var p = 0; p < pk.p.length; p++) {
        var poly = [];
        for (var k = 0; k < pk.p[p]; k++) {
            var n = pk.r[r++], ring = new Array(n);
            for (var j = 0; j < n; j++) {
                lat += next(); lng += next();
                ring[j] = [lat / {{ this.scale }}, lng / {{ this.scale }}];
            }
            poly.push(ring);
        }
        out.push(poly);
    }
    pk.ll = out;
    return out;
}
function igCatchment(parts, style) {
    // drawn when first switched on: a hidden layer costs the page nothing but its text
    var layer = L.layerGroup(), drawn = false;
    layer.onAdd = function(map) {
        if (!drawn) {
            var ll = [];
            parts.forEach(function(p) { ll = ll.concat(igUnpack(p)); });
            if (ll.length) { this.addLayer(L.polygon(ll, style)); }
            drawn = true;
        }
        L.LayerGroup.prototype.onAdd.call(this, map);
    };
    return layer;
}
{% endmacro %}
