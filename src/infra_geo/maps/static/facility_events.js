function(f, layer) { layer.bindPopup(f.properties.popup, {maxWidth: 320}); layer.bindTooltip(f.properties.tip, {sticky: true}); }
