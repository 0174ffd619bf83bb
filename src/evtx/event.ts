/**
 * The fields of an event as the Event schema names them (MS-EVEN6 / the
 * http://schemas.microsoft.com/win/2004/08/events/event namespace): System header
 * values, and the EventData <Data Name="..."> (or UserData) values by name.
 */
import {contentText, type EvtxValue, type XmlElement, type XmlNode} from './binxml.js'

export interface EventFields {
  provider: string | null
  providerGuid: string | null
  eventId: number | null
  version: number | null
  level: number | null
  task: number | null
  opcode: number | null
  keywords: string | null
  /** TimeCreated/@SystemTime, ISO 8601 UTC. */
  timeCreated: string | null
  eventRecordId: string | null
  activityId: string | null
  processId: number | null
  threadId: number | null
  channel: string | null
  computer: string | null
  /** System/Security/@UserID (SID). */
  userSid: string | null
  /** Named data values (EventData/Data[@Name], or the leaf elements of UserData), in document order. */
  data: Map<string, string>
  /** Typed data values by the same names, where the value was a single typed value. */
  typed: Map<string, EvtxValue>
}

function elements(nodes: XmlNode[]): XmlElement[] {
  return nodes.filter((n): n is XmlElement => n.kind === 'element')
}

function childElement(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el ? elements(el.children).find((c) => c.name === name) : undefined
}

function attribute(el: XmlElement | undefined, name: string): string | null {
  const a = el?.attributes.find((x) => x.name === name)
  return a ? contentText(a.content) : null
}

function text(el: XmlElement | undefined): string | null {
  return el ? contentText(el.children) : null
}

function int(value: string | null): number | null {
  if (value === null || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

function singleValue(el: XmlElement): EvtxValue | undefined {
  const [only] = el.children
  return el.children.length === 1 && only?.kind === 'value' ? only.value : undefined
}

/** The event element of a record (the first element; <Event> in every log Windows writes). */
export function eventElement(nodes: XmlNode[]): XmlElement | undefined {
  return elements(nodes)[0]
}

export function eventFields(nodes: XmlNode[]): EventFields {
  const event = eventElement(nodes)
  const system = childElement(event, 'System')
  const provider = childElement(system, 'Provider')
  const data = new Map<string, string>()
  const typed = new Map<string, EvtxValue>()
  const put = (name: string, el: XmlElement) => {
    let key = name
    for (let i = 2; data.has(key); i++) key = `${name}#${i}`
    data.set(key, contentText(el.children))
    const v = singleValue(el)
    if (v) typed.set(key, v)
  }
  const eventData = childElement(event, 'EventData')
  if (eventData) {
    let index = 0
    for (const d of elements(eventData.children)) {
      index++
      put(attribute(d, 'Name') ?? (d.name === 'Data' ? String(index) : d.name), d)
    }
  }
  const userData = childElement(event, 'UserData')
  if (userData) {
    // UserData holds one provider-defined element whose children are the values
    for (const wrapper of elements(userData.children)) for (const leaf of elements(wrapper.children)) put(leaf.name, leaf)
  }
  return {
    provider: attribute(provider, 'Name'),
    providerGuid: attribute(provider, 'Guid'),
    eventId: int(text(childElement(system, 'EventID'))),
    version: int(text(childElement(system, 'Version'))),
    level: int(text(childElement(system, 'Level'))),
    task: int(text(childElement(system, 'Task'))),
    opcode: int(text(childElement(system, 'Opcode'))),
    keywords: text(childElement(system, 'Keywords')),
    timeCreated: attribute(childElement(system, 'TimeCreated'), 'SystemTime'),
    eventRecordId: text(childElement(system, 'EventRecordID')),
    activityId: attribute(childElement(system, 'Correlation'), 'ActivityID'),
    processId: int(attribute(childElement(system, 'Execution'), 'ProcessID')),
    threadId: int(attribute(childElement(system, 'Execution'), 'ThreadID')),
    channel: text(childElement(system, 'Channel')),
    computer: text(childElement(system, 'Computer')),
    userSid: attribute(childElement(system, 'Security'), 'UserID'),
    data,
    typed,
  }
}
