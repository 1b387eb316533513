
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function() {
    var cfg = {{ this.config|tojson }};
    var map = {{ this._parent.get_name() }};
    var state = {m: cfg.initial};
    function colour(v, meta) {
        if (v === null || v === undefined) { return cfg.noData; }
        var b = meta.breaks, c = meta.colors;
        for (var i = 0; i < c.length; i++) { if (v <= b[i + 1]) { return c[i]; } }
        return c[c.length - 1];
    }
    function fmt(v, meta) {
        if (v === null || v === undefined) { return cfg.text.noData; }
        if (meta.fmt === "pct") { return Math.round(v * 100) + "%"; }
        if (meta.fmt === "dec") {
            return v.toLocaleString(cfg.locale, {maximumFractionDigits: 1});
        }
        if (meta.fmt === "sig") {
            return v.toLocaleString(cfg.locale, {maximumSignificantDigits: 3});
        }
        if (meta.fmt === "m") { return Math.round(v).toLocaleString(cfg.locale) + " m"; }
        if (meta.fmt === "min") {
            return v.toLocaleString(cfg.locale, {maximumFractionDigits: 1}) + " min";
        }
        return Math.round(v).toLocaleString(cfg.locale);
    }
    function style(f) {
        var p = f.properties;
        if (p.p) {  // coloured by its incomplete figure, hatched over (the layer "hatch")
            return {color: "#555555", weight: 1.5, dashArray: "4 3",
                    fillColor: colour(p.v[state.m], cfg.measures[state.m]),
                    fillOpacity: 0.7, className: "ig-gap ig-gap-partial"};
        }
        return {color: "#555555", weight: 1, fillColor: colour(p.v[state.m], cfg.measures[state.m]),
                fillOpacity: 0.7, className: "ig-gap"};
    }
    function tip(layer) {
        var p = layer.feature.properties, meta = cfg.measures[state.m];
        var h = "<b>" + p.n + "</b><br>" + cfg.text.residents + ": " + fmt(p.r, {fmt: "int"});
        h += "<br>" + meta.label + ": <b>" + fmt(p.v[state.m], meta) + "</b>";
        var t = meta.t !== null ? meta.t : cfg.defaultT;
        var ck = "completeness_" + t;
        if (ck !== state.m && cfg.measures[ck]) {
            h += "<br>" + cfg.measures[ck].short + ": " + fmt(p.v[ck], cfg.measures[ck]);
        }
        var rk = "rank_" + t;
        if (rk !== state.m && cfg.measures[rk] && p.v[rk] !== null && p.v[rk] !== undefined) {
            h += "<br>" + cfg.measures[rk].label + ": " + fmt(p.v[rk], cfg.measures[rk]);
        }
        if (p.p) { h += "<br><i>" + cfg.text.partial + "</i>"; }
        return h;
    }
    var data = {{ this.data|tojson }};
    var units = L.geoJson(data, {
        pane: cfg.pane,
        style: style,
        onEachFeature: function(f, l) { l.bindTooltip(tip, {sticky: true}); }
    });
    // partial units: grey stripes over their colour (not interactive: the unit's tooltip shows)
    var hatch = L.geoJson(data, {
        pane: cfg.pane,
        interactive: false,
        filter: function(f) { return f.properties.p; },
        style: {stroke: false, fillColor: "url(#ig-hatch-over)", fillOpacity: 1,
                className: "ig-hatch"}
    });
    var layer = L.layerGroup([units, hatch]);
    var legend = L.control({position: "topleft"});
    var body = null;
    function drawLegend() {
        var meta = cfg.measures[state.m];
        var h = '<div class="ig-legend-title">' + meta.label + "</div>";
        for (var i = meta.colors.length - 1; i >= 0; i--) {
            h += '<div><i style="background:' + meta.colors[i] + '"></i>'
                + meta.classes[i] + "</div>";
        }
        h += '<div><i style="background:' + cfg.noData + '"></i>' + cfg.text.noData + "</div>";
        if (cfg.anyPartial) {
            h += '<div><i style="background:#fdcc8a;background-image:repeating-linear-gradient('
                + '45deg,rgba(60,60,60,.6) 0 2px,transparent 2px 6px)"></i>'
                + cfg.text.partialLegend + "</div>";
        }
        body.innerHTML = h;
    }
    legend.onAdd = function() {
        var div = L.DomUtil.create("div", "ig-legend");
        body = L.DomUtil.create("div", "ig-legend-body", div);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        drawLegend();
        return div;
    };
    // the measure is picked in the map's panel (static/panel.js)
    layer.igConfig = cfg;
    layer.igMeasure = function() { return state.m; };
    layer.igSetMeasure = function(k) {
        if (!cfg.measures[k]) { return; }
        state.m = k;
        units.setStyle(style);
        if (body) { drawLegend(); }
        map.fire("igLayout");
    };
    layer.on("add", function() { legend.addTo(map); map.fire("igLayout"); });
    layer.on("remove", function() { legend.remove(); map.fire("igLayout"); });
    return layer;
})();
{% endmacro %}
