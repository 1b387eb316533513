
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.svg }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var title = L.DomUtil.create("div", "ig-title", map.getContainer());
            title.innerHTML = {{ this.title|tojson }};
            L.DomEvent.disableClickPropagation(title);
            var note = L.control({position: "bottomleft"});
            note.onAdd = function() {
                var div = L.DomUtil.create("div", "ig-note");
                div.innerHTML = {{ this.note|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            note.addTo(map);
        })();
        {% endmacro %}
        