{% macro script(this, kwargs) %}
// The map's one panel (infra_geo.maps._panel): the eight components (facilities and their
// walking area together), one walking time, the measure that colours the neighbourhoods and
// the other layers; and the layout that keeps title, panel, legend and note apart.
(function() {
    var map = {{ this._parent.get_name() }};
    var cfg = {{ this.config|tojson }};
    var fac = { {% for c in this.components %}"{{ c.key }}": {{ c.fac.get_name() }}, {% endfor %} };
    var catchments = { {% for c in this.components %}"{{ c.key }}": { {% for mins, el in c.catch %}"{{ mins }}": {{ el.get_name() }}, {% endfor %} }, {% endfor %} };
    var others = [ {% for el in this.others %}{{ el.get_name() }}, {% endfor %} ];
    var gaps = {% if this.gaps is not none %}{{ this.gaps.get_name() }}{% else %}null{% endif %};
    var state = {on: {}, minutes: cfg.initialMinutes};
    cfg.components.forEach(function(c) { state.on[c.key] = true; });
    var container = map.getContainer();

    function show(layer, on) {
        if (!layer) { return; }
        if (on && !map.hasLayer(layer)) { map.addLayer(layer); }
        if (!on && map.hasLayer(layer)) { map.removeLayer(layer); }
    }
    function apply() {
        var shown = [];
        cfg.components.forEach(function(c) {
            show(fac[c.key], state.on[c.key]);
            var per = catchments[c.key] || {};
            Object.keys(per).forEach(function(mins) {
                var on = state.on[c.key] && state.minutes === mins;
                show(per[mins], on);
                if (on) { shown.push(per[mins]); }
            });
        });
        // many walking areas over each other: each lighter, so the map under them still reads
        var k = Math.min(1, 2 / Math.max(shown.length, 1));
        function fade(p) {
            if (p.eachLayer) { p.eachLayer(fade); return; }
            if (!p.setStyle) { return; }
            if (p.igFill === undefined) { p.igFill = p.options.fillOpacity; }
            p.setStyle({fillOpacity: Math.round(p.igFill * k * 1000) / 1000});
        }
        shown.forEach(fade);
    }
    function el(tag, cls, parent, html) {
        var e = L.DomUtil.create(tag, cls || "", parent);
        if (html !== undefined) { e.innerHTML = html; }
        return e;
    }
    function section(parent, title) {
        var box = el("fieldset", "ig-sec", parent);
        el("legend", "", box, title);
        return box;
    }
    function check(parent, cls, html, on, onChange) {
        var lab = el("label", cls, parent);
        var box = el("input", "", lab);
        box.type = "checkbox";
        box.checked = on;
        el("span", "", lab, html);
        L.DomEvent.on(box, "change", function() { onChange(box.checked); layout(); });
        return lab;
    }

    var panel = L.control({position: "topright"});
    panel.onAdd = function() {
        var div = el("div", "ig-panel");
        var btn = el("button", "ig-panel-toggle", div, cfg.text.panel);
        btn.type = "button";
        var body = el("div", "ig-panel-body", div);
        function setOpen(open) {
            L.DomUtil[open ? "removeClass" : "addClass"](div, "ig-collapsed");
            L.DomUtil[open ? "addClass" : "removeClass"](container, "ig-panel-open");
            btn.setAttribute("aria-expanded", open ? "true" : "false");
            layout();
        }
        L.DomEvent.on(btn, "click", function() {
            setOpen(L.DomUtil.hasClass(div, "ig-collapsed"));
        });

        var sec = section(body, cfg.text.components);
        cfg.components.forEach(function(c) {
            var sw = '<i class="ig-swatch" style="background:' + c.color + '"></i>';
            var lab = check(sec, "ig-comp ig-comp-" + c.key, sw + c.label
                + ' <small>(' + c.n + ")</small>", true, function(on) {
                state.on[c.key] = on;
                apply();
            });
            lab.setAttribute("data-key", c.key);
        });

        if (cfg.minutes.length) {
            var ms = section(body, cfg.text.minutes);
            var row = el("div", "ig-minutes", ms);
            [""].concat(cfg.minutes).forEach(function(mins) {
                var lab = el("label", "", row);
                var r = el("input", "", lab);
                r.type = "radio";
                r.name = "ig-minutes";
                r.value = mins;
                r.checked = (mins === "" ? state.minutes === null : state.minutes === mins);
                el("span", "", lab, mins === "" ? cfg.text.off : mins + " min");
                L.DomEvent.on(r, "change", function() {
                    state.minutes = mins === "" ? null : mins;
                    apply();
                    layout();
                });
            });
        }

        if (gaps) {
            var g = section(body, cfg.text.gaps);
            check(g, "ig-gaps-show", cfg.text.gapsShow, map.hasLayer(gaps), function(on) {
                show(gaps, on);
            });
            var gc = gaps.igConfig;
            var lab = el("label", "ig-measure-label", g);
            el("span", "", lab, cfg.text.measure);
            var sel = el("select", "ig-measure", lab);
            gc.choices.forEach(function(k) {
                var o = document.createElement("option");
                o.value = k;
                o.innerHTML = gc.measures[k].label;
                o.title = o.textContent;
                if (k === gaps.igMeasure()) { o.selected = true; }
                sel.appendChild(o);
            });
            sel.title = sel.options[sel.selectedIndex].title;
            L.DomEvent.on(sel, "change", function() {
                gaps.igSetMeasure(sel.value);
                sel.title = sel.options[sel.selectedIndex].title;
                if (!map.hasLayer(gaps)) { show(gaps, true); g.querySelector("input").checked = true; }
            });
        }

        if (others.length) {
            var o = section(body, cfg.text.other);
            others.forEach(function(layer, i) {
                check(o, "ig-other", cfg.others[i], map.hasLayer(layer), function(on) {
                    show(layer, on);
                });
            });
        }
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        div.igSetOpen = setOpen;
        if (container.clientWidth <= cfg.narrow) { L.DomUtil.addClass(div, "ig-collapsed"); }
        btn.setAttribute("aria-expanded", L.DomUtil.hasClass(div, "ig-collapsed") ? "false" : "true");
        return div;
    };

    // ---- layout: title, panel, legend and note never cover each other
    function box(e) {
        if (!e || !e.offsetParent) { return null; }
        return e.getBoundingClientRect();
    }
    function across(a, b) { return a && b && a.left < b.right && b.left < a.right; }
    function layout() {
        var narrow = container.clientWidth <= cfg.narrow;
        L.DomUtil[narrow ? "addClass" : "removeClass"](container, "ig-narrow");
        var cbox = container.getBoundingClientRect();
        var title = container.querySelector(".ig-title");
        var legend = container.querySelector(".ig-legend");
        var note = container.querySelector(".ig-note");
        var pane = container.querySelector(".ig-panel");
        if (pane) { pane.style.maxHeight = Math.max(60, cbox.height - 20) + "px"; }
        // the legend starts below the title where they share columns
        if (legend) {
            legend.style.marginTop = "";
            legend.style.maxHeight = "";
            var tb = box(title), lb = box(legend);
            if (tb && lb && across(tb, lb) && lb.top < tb.bottom + 6) {
                legend.style.marginTop = (10 + tb.bottom + 6 - lb.top) + "px";
            }
            // a legend taller than the room left for it (below it: the note's one line) scrolls
            lb = box(legend);
            var roomL = lb ? cbox.bottom - lb.top - 80 : 0;
            if (lb && lb.height > roomL) {
                legend.style.maxHeight = Math.max(roomL, 60) + "px";
                legend.style.overflowY = "auto";
            }
        }
        if (!note) { return; }
        var details = note.querySelector("details");
        note.style.maxHeight = "";
        note.style.overflowY = "";
        if (details && details.igAuto === undefined) {
            details.igAuto = true;
            // a phone opens on the map: the help is one line until asked for
            if (narrow || cbox.height < 600) { details.open = false; }
            details.addEventListener("toggle", function() { details.igUser = true; layout(); });
        }
        var nb = box(note);
        if (!nb) { return; }
        var top = cbox.top;
        [title, legend, pane].forEach(function(e) {
            var b = box(e);
            if (b && across(b, nb) && b.bottom > top) { top = b.bottom; }
        });
        var room = nb.bottom - top - 8;
        if (nb.height > room) {
            if (details && details.open && !details.igUser && room < 120) {
                details.open = false;
                return;
            }
            note.style.maxHeight = Math.max(room, 24) + "px";
            note.style.overflowY = "auto";
        }
    }
    panel.addTo(map);
    apply();
    map.on("resize igLayout", layout);
    layout();
    window.igLayout = layout;
})();
{% endmacro %}
