// @ts-check
'use strict';
/**
 * The owner's side of a WorkerPool's mailbox thread (mailbox-thread.js says
 * why it exists and what it answers): starts it, posts the data of direct
 * tasks to it, and gives each worker a port to it.
 */

const { Worker, MessageChannel } = require('node:worker_threads');
const { MSG } = require('./messages.js');
const path = require('node:path');

const THREAD = path.join(__dirname, 'mailbox-thread.js');

/** @typedef {import('./messages.js').MailboxInboxMessage} MailboxInboxMessage */
/** @typedef {import('node:worker_threads').TransferListItem} TransferListItem */

class Mailbox {
  /** @type {Worker} */
  #worker;
  /** @type {import('node:worker_threads').MessagePort} */
  #inbox;

  /**
   * Starts the thread; `onExit()` is called if it exits.
   * @param {() => void} onExit
   */
  constructor(onExit) {
    const { port1, port2 } = new MessageChannel();
    this.#worker = new Worker(THREAD, { workerData: { inbox: port2 }, transferList: [port2], execArgv: [] });
    this.#worker.unref();
    this.#worker.on('error', () => {}); // the owner hears of it through onExit
    this.#worker.on('exit', () => onExit());
    this.#inbox = port1;
    this.#inbox.unref();
  }

  /**
   * Posts to the thread's inbox.
   * @param {MailboxInboxMessage} m
   * @param {readonly TransferListItem[]} [transfer]
   */
  #send(m, transfer) {
    this.#inbox.postMessage(m, transfer);
  }

  /**
   * Posts task `id`'s data, moving what `transfer` lists; throws what postMessage throws (data it cannot clone).
   * @param {number} id
   * @param {unknown} data
   * @param {readonly TransferListItem[]} transfer
   */
  put(id, data, transfer) {
    this.#send({ type: MSG.PUT, id, data, transfer }, transfer);
  }

  /**
   * Task `id` settled: its data, if not fetched, is dropped.
   * @param {number} id
   */
  drop(id) {
    this.#send({ type: MSG.DROP, id });
  }

  /**
   * Gives the worker behind `controlPort` a port to the mailbox (the worker reads it off its control port).
   * @param {import('node:worker_threads').MessagePort} controlPort
   */
  connect(controlPort) {
    const { port1, port2 } = new MessageChannel();
    this.#send({ type: MSG.WORKER, port: port1 }, [port1]);
    /** @type {import('./messages.js').MailboxMessage} */
    const mailbox = { type: MSG.MAILBOX, port: port2 };
    controlPort.postMessage(mailbox, [port2]);
  }

  /**
   * Resolves to how many tasks' data the thread holds (for tests).
   * @returns {Promise<number>}
   */
  held() {
    const { port1, port2 } = new MessageChannel();
    this.#send({ type: MSG.COUNT, port: port2 }, [port2]);
    return new Promise((resolve) => port1.once('message', resolve));
  }

  /**
   * Ends the thread; the data it holds goes with it.
   * @returns {Promise<number>}
   */
  terminate() {
    return this.#worker.terminate();
  }
}

module.exports = { Mailbox };
