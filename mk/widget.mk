# Chat widget bundle (widget/dist/widget.js) for the demo page served by web/server.py.
WIDGET_DIR := widget
WIDGET_BUNDLE := $(WIDGET_DIR)/dist/widget.js
WIDGET_SOURCES := $(wildcard $(WIDGET_DIR)/src/*.js)

.PHONY: widget

# Node.js and npm come from `make system-deps` (system-packages.txt) on a machine without them.
$(WIDGET_DIR)/node_modules/.package-lock.json: $(WIDGET_DIR)/package.json $(WIDGET_DIR)/package-lock.json | system-deps
	cd $(WIDGET_DIR) && npm ci --no-audit --no-fund
	touch $@

$(WIDGET_BUNDLE): $(WIDGET_SOURCES) $(WIDGET_DIR)/node_modules/.package-lock.json
	cd $(WIDGET_DIR) && npm run --silent build

widget: $(WIDGET_BUNDLE)

TEST_DEPS += widget
run: widget
