/**
 * Registers every custom layer class of grasplab's models with tfjs's serialization registry (side effects of these
 * imports). Whoever loads a saved model imports this, so a script that only loads a model folder (and never builds a
 * network) does not fail with tfjs's "Unknown layer".
 */
import './adaptive_avg_pool';
import './batch_norm';
import './dilated_conv';
import './dropout2d';
import './input_check';
import './resize_bilinear';
