# The two commands of the README:
#   make demo  generates a project with the default answers and runs it
#   make test  runs the template's whole test suite (what .ci/run runs)
#   make test-fast runs the tests that need no server and no virtualenv
# Both set up what they need: a fresh machine needs Python 3.11+, make and git.

PYTHON ?= python3
VENV := .venv
DEMO := demo/my_site
DEMO_PORT ?= 8000

.PHONY: demo test test-fast lint venvs wheelhouse clean bench pins

# $(call venv_with,FOLDER,REQUIREMENT): a new virtualenv with one package in it.
# pip 22.3 and later install into another Python's environment (--python), so the
# Python's own pip does it into a virtualenv made without one: uv took 4.8 and
# 4.5 s that way, 13.7 and 13.5 s through venv's own pip, most of which is ensurepip
# (side by side, two rounds). A Python without pip, or with an older one, takes
# that path: venv, run again, adds pip to the virtualenv.
define venv_with
	$(PYTHON) -m venv --without-pip $(1)
	if $(PYTHON) -m pip --python $(1)/bin/python --version > /dev/null 2>&1; then \
		$(PYTHON) -m pip --python $(1)/bin/python install $(PIP_QUIET) $(2); \
	else \
		$(PYTHON) -m venv $(1) && $(1)/bin/pip install $(PIP_QUIET) $(2); \
	fi
endef
PIP_QUIET := --quiet --disable-pip-version-check

# The template's tooling, reinstalled whenever its requirements change: uv (one of
# the tools) first, then uv installs the rest. pip alone, fetching one file after
# another, took 34 s here, uv 7 to 9 s (side by side, two rounds). Like
# `pip --no-compile`, uv leaves bytecode to be compiled as each module is imported.
$(VENV)/installed: requirements-dev.txt
	$(call venv_with,$(VENV),"$$(grep '^uv==' requirements-dev.txt)")
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r requirements-dev.txt
	touch $@

# The demo needs only cookiecutter (at the version the tooling pins), not all the
# template's tooling: a first `make demo` installs one package, not twenty.
DEMO_TOOLS := demo/.cookiecutter-venv
$(DEMO_TOOLS)/installed: requirements-dev.txt
	$(call venv_with,$(DEMO_TOOLS),"$$(grep '^cookiecutter==' requirements-dev.txt)")
	touch $@

# A project with every default answer, generated once; `make clean` starts over.
$(DEMO)/manage.py: $(DEMO_TOOLS)/installed
	$(DEMO_TOOLS)/bin/cookiecutter --no-input --output-dir demo .

# The demo's own virtualenv, made by the project's `make install` (which first says
# what this machine lacks, if pip cannot install pylibmc here), with the template's
# interpreter: pyenv would otherwise pick the Python named in the demo's .python-version.
$(DEMO)/.venv/installed: $(DEMO)/manage.py
	$(MAKE) -C $(DEMO) install PYTHON="$(abspath $(DEMO_TOOLS))/bin/python"
	touch $@

demo: $(DEMO)/.venv/installed
	@echo "Serving on http://127.0.0.1:$(DEMO_PORT)/ ; Ctrl-C stops web, scheduler and worker."
	$(MAKE) -C $(DEMO) --no-print-directory run PORT=$(DEMO_PORT)

# The project template is plain Python: it is linted as it stands, with the
# generated project's own settings (--no-cache: a cache folder inside the
# template would be copied into every generated project).
TOOLING := hooks tests benchmarks scripts local_extensions.py
lint: $(VENV)/installed
	$(VENV)/bin/ruff check $(TOOLING)
	$(VENV)/bin/ruff format --check $(TOOLING)
	$(VENV)/bin/mypy $(TOOLING)
	cd "{{cookiecutter.project_slug}}" && ../$(VENV)/bin/ruff check --no-cache . \
		&& ../$(VENV)/bin/ruff format --no-cache --check . \
		&& ../$(VENV)/bin/mypy --config-file ../pyproject.toml .

# The template's tooling first (uv is one of its tools); then, side by side with
# the lint and where their progress shows, the generated projects' virtualenvs and
# the wheelhouse (tests/wheelhouse.py) if the pins changed; then two pytest
# workers (pytest-xdist), one per core here: the servers and subprocesses the tests
# start keep both cores busy, and a third worker was no faster (229 s against 230 s).
# Each test file runs whole on one worker, so that a module's running formation
# starts once. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
test: $(VENV)/installed
	$(MAKE) --no-print-directory -j3 lint venvs wheelhouse
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Python keeps each module it compiles (.pyc) unless PYTHONDONTWRITEBYTECODE is set,
# as it is on some CI machines and in many container images. The suite starts
# Python again and again, in virtualenvs that uv filled without bytecode: with the
# variable set, each of them compiled Django, Celery and the rest again. The tests
# run with bytecode kept, as on a developer's machine, in one folder emptied at each
# run (PYTHONPYCACHEPREFIX), so no __pycache__ lands in the template, whose project
# folder cookiecutter copies whole. From clean clones, alternating, two rounds:
# make test took 295 and 285 s that way, 341 and 306 s without.
PYCACHE := .cache/pycache
PYTEST = rm -rf $(PYCACHE) && env -u PYTHONDONTWRITEBYTECODE \
	PYTHONPYCACHEPREFIX="$(abspath $(PYCACHE))" $(VENV)/bin/pytest

venvs: $(VENV)/installed
	$(VENV)/bin/python -m tests.venvs

wheelhouse: $(VENV)/installed
	$(VENV)/bin/python -m tests.wheelhouse

# What needs no server and no project virtualenv: the hooks, the answers, every
# file rendered (under a minute), in two processes too, test by test: these files
# start nothing costly that their tests share (one process took 84 s here, two 46 s).
test-fast: lint
	$(PYTEST) -n $(PYTEST_WORKERS) -m "not venv and not servers and not browser" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .cache demo

# Measurements behind design choices; each prints a table.
bench: $(VENV)/installed
	$(VENV)/bin/python benchmarks/celery_shutdown.py
	$(VENV)/bin/python benchmarks/memcached_clients.py
	$(VENV)/bin/python benchmarks/web_load.py
	$(VENV)/bin/python benchmarks/throwaway_install.py

# Re-pin the generated projects' requirements (one set per broker, in the project
# template's pins/): after editing requirements*.in; UPGRADE=1 takes the newest
# releases the .in files allow. Run make test, then commit.
pins: $(VENV)/installed
	$(VENV)/bin/python scripts/pin_requirements.py $(if $(UPGRADE),--upgrade)
