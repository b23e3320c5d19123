// Each worker module registers itself with registerWorker() on import; list them here.
export {};
import "./delivery.worker";
