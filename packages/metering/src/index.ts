// @tollgate/metering: ships the stores' usage outbox to billing systems (`tollgate meter ship`).
export { shipperMetrics, type ShipperMetrics } from './metrics.js';
export { CLOUDEVENTS_BATCH, OpenMeterSink, type OpenMeterSinkOptions } from './openmeter-sink.js';
export { RedisOutbox, type OutboxEntry } from './redis-outbox.js';
export { Shipper, type ShipperOptions } from './shipper.js';
export { deliveryOfStatus, type Delivery, type Sink } from './sink.js';
export { StripeSink, type StripeSinkOptions } from './stripe-sink.js';
