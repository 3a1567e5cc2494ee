export * from './checkpoint-file.js';
export * from './checkpoint-meta.js';
export * from './file-header.js';
export * from './repository.js';
export * from './retention.js';
export * from './store-error.js';
export * from './store-fs.js';
