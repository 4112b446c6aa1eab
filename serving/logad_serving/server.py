"""Run one KServe model server (predictor or transformer) on an explicit host: 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from kserve import Model, ModelServer
from kserve import model_server as kserve_model_server
from kserve.constants.constants import FASTAPI_APP_IMPORT_STRING
from kserve.predictor_config import PredictorConfig
from kserve.protocol.rest.server import RESTServer

from logad_serving.app import add_knowledge_route, add_operator_routes, add_otlp_route, configure_app
from logad_serving.errors import add_error_handlers
from logad_serving.health import ReadyDataPlane
from logad_serving.metrics import RequestLatency
from logad_serving.predictor import DetectorPredictor
from logad_serving.transformer import TenantTransformer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


class LogadRESTServer(RESTServer):
    """KServe's REST server with logad's error answers and logging in place of KServe's (which it registers when it
    starts, over any registered before)."""

    def _add_exception_handlers(self, app: FastAPI) -> None:
        super()._add_exception_handlers(app)
        add_error_handlers(app)

    def _add_middlewares(self, app: FastAPI) -> None:
        """None of KServe's: its timing middleware calls ``getrusage`` twice per request to print timings that
        logad's latency histogram (metrics.py) already records, and took a fifth of the transformer's CPU under
        load (py-spy); its access-log middleware needs an ``access_log_format``, which logad never sets (uvicorn's
        access log goes through logad's handler, server_logging.py)."""


class HostModelServer(ModelServer):
    """KServe's single-process REST server bound to ``host`` (KServe itself always binds 0.0.0.0), gRPC off, with
    readiness that includes the models' dependencies (health.py)."""

    def __init__(self, host: str, http_port: int, predictor_config: PredictorConfig | None = None) -> None:
        super().__init__(http_port=http_port, enable_grpc=False, workers=1, predictor_config=predictor_config)
        self.host = host
        self.dataplane = ReadyDataPlane(model_registry=self.registered_models)

    def start(self, models: list[Model]) -> None:
        self._register_and_check_atleast_one_model_is_ready(models)
        self._rest_server = LogadRESTServer(
            FASTAPI_APP_IMPORT_STRING,
            self.dataplane,
            self.model_repository_extension,
            self.http_port,
            grace_period=self.grace_period,
            timeout_keep_alive=self.timeout_keep_alive,
        )
        self._rest_server.config.host = self.host
        self.servers.append(self._rest_server.start())
        self.setup_event_loop()
        self.register_signal_handler()
        asyncio.run(self._serve())


def serve(
    model: Model,
    model_version: str,
    host: str = DEFAULT_HOST,
    port: int = 8080,
    predictor_config: PredictorConfig | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Load ``model`` (the server answers only once it is ready) and serve it until stopped."""
    model.load()
    app = kserve_model_server.app
    # Added first, so it runs inside configure_app's middleware and sees paths with the model version stripped.
    app.add_middleware(RequestLatency, model_name=model.name, model_version=model_version)
    configure_app(app, model_version, max_body_bytes)
    if isinstance(model, TenantTransformer):
        add_operator_routes(app, model)
        add_otlp_route(app, model, max_body_bytes)
        if model.alerts is not None:
            app.router.on_shutdown.append(model.alerts.close)
        if model.sweep_seconds is not None:
            app.router.on_startup.append(model.start_sweeping)
    elif isinstance(model, DetectorPredictor):
        add_knowledge_route(app, model)
    HostModelServer(host, port, predictor_config).start([model])
