/**
 * Chat templates: how a conversation is written out for a model. A template is one of
 * - "gguf": the model file's own Jinja `tokenizer.chat_template`, rendered as Hugging Face's `apply_chat_template`
 *   renders it (with @huggingface/jinja, the engine node-llama-cpp reads GGUF templates with);
 * - "llama2": Meta's Llama-2-chat template (BOS and EOS tokens around every exchange; ETO's agents are Llama-2-7B-Chat),
 *   rendered the same way;
 * - any layout llama.cpp writes by name ("chatml", "llama3", "zephyr", "mistral-v7", "vicuna", ...: see
 *   chatTemplateNames()), for a model whose file has no template.
 * Unless a load option names one, a model's template is "gguf" where its file has one, else "llama3", "chatml" or
 * "gemma" where the vocabulary has those layouts' chat tokens, else "llama2". The text is then tokenized whole, special
 * tokens parsed. A Jinja template may also be handed variables besides the conversation (`chatTemplateKwargs`, as
 * llama.cpp's --chat-template-kwargs: Qwen3's and SmolLM3's `enable_thinking: false` leave their think blocks empty).
 */
import { Template } from '@huggingface/jinja';
import { InvalidArgumentError } from './errors.js';
import type { Model } from './model.js';
import { callNativeSync, native } from './native.js';

export interface ChatTemplate {
  name: string;
  /** What chose it: the load option, the model file's own template, or the vocabulary (the file has none). */
  source: 'option' | 'gguf' | 'vocabulary';
  /** Variables the Jinja template reads besides the conversation (LoadModelOptions.chatTemplateKwargs); {} for none. */
  kwargs: Readonly<Record<string, unknown>>;
  /**
   * What policies and adapters record, and are checked against when loaded: the name, then the variables as JSON
   * where there are any (`gguf {"enable_thinking":false}`).
   */
  id: string;
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Every template name a model can be given (besides "auto"). */
export function chatTemplateNames(): string[] {
  return ['gguf', ...callNativeSync(() => native().chatTemplates())].sort();
}

/** Throws InvalidArgumentError unless `option` is "auto", undefined or a template name. */
export function checkChatTemplateOption(option: string | undefined): void {
  if (option === undefined || option === 'auto') return;
  const names = chatTemplateNames();
  if (!names.includes(option)) throw new InvalidArgumentError('UNKNOWN_CHAT_TEMPLATE', `unknown chat template "${option}" (auto, ${names.join(', ')})`);
}

/**
 * The template a model uses: `option` (checked by checkChatTemplateOption; "auto" or undefined: decide from the
 * file), whether the file has a Jinja template, the template its vocabulary's chat tokens imply (see
 * vocabularyChatTemplate), and the variables a Jinja template is to be handed.
 */
export function resolveChatTemplate(option: string | undefined, hasGguf: boolean, vocabularyTemplate: string, kwargs: Record<string, unknown> = {}): ChatTemplate {
  if (option === 'gguf' && !hasGguf) throw new InvalidArgumentError('UNKNOWN_CHAT_TEMPLATE', 'the model file has no chat template (tokenizer.chat_template)');
  const [name, source]: [string, ChatTemplate['source']] =
    option !== undefined && option !== 'auto' ? [option, 'option'] : hasGguf ? ['gguf', 'gguf'] : [vocabularyTemplate, 'vocabulary'];
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new InvalidArgumentError('INVALID_ARGUMENT', 'chat template kwargs must be an object of variables, e.g. {"enable_thinking": false}');
  }
  const sorted = Object.fromEntries(Object.entries(kwargs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const json = JSON.stringify(sorted);
  if (json !== '{}' && !isJinja(name)) {
    throw new InvalidArgumentError('INVALID_ARGUMENT', `chat template kwargs are for Jinja templates (a model file's own); "${name}" is a layout llama.cpp writes by name, which reads none`);
  }
  return { name, source, kwargs: sorted, id: json === '{}' ? name : `${name} ${json}` };
}

/** Whether a template is rendered from Jinja source (the file's own, or Llama-2-chat's) rather than by llama.cpp. */
function isJinja(name: string): boolean {
  return name === 'gguf' || name === 'llama2';
}

/**
 * Throws unless conversations trained in the template `trained` (a ChatTemplate's id, as `what`, a policy folder or
 * adapter file, records; undefined where it records none) are laid out the way `model` lays them out.
 */
export function checkTrainedChatTemplate(model: Model, what: string, trained: string | undefined): void {
  const template = model.chatTemplate.id;
  if (trained === undefined || trained === template) return;
  const space = trained.indexOf(' ');
  const [name, kwargs] = space < 0 ? [trained, undefined] : [trained.slice(0, space), trained.slice(space + 1)];
  const how = kwargs === undefined ? `chatTemplate "${name}" (--chat-template ${name})` : `chatTemplate "${name}" and chatTemplateKwargs ${kwargs} (--chat-template ${name} --chat-template-kwargs '${kwargs}')`;
  throw new InvalidArgumentError(
    'CHAT_TEMPLATE_MISMATCH',
    `${what} was trained on conversations in the "${trained}" chat template, but the model is loaded with "${template}": load it with ${how}`,
  );
}

/**
 * The layout a vocabulary's own chat tokens imply (its tokenizer, special tokens parsed): "llama3" where it has
 * Llama 3's header and end-of-turn tokens, "chatml" where it has ChatML's (Qwen's), "gemma" where it has Gemma's turn
 * tokens, else "llama2".
 */
export function vocabularyChatTemplate(tokenizeSpecial: (text: string) => number[]): string {
  const has = (tokens: string[]) => tokens.every((t) => tokenizeSpecial(t).length === 1);
  if (has(['<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'])) return 'llama3';
  if (has(['<|im_start|>', '<|im_end|>'])) return 'chatml';
  if (has(['<start_of_turn>', '<end_of_turn>'])) return 'gemma';
  return 'llama2';
}

/** Meta's Jinja template for Llama-2-chat, as its tokenizer_config.json has it. */
const llama2Chat =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}" +
  '{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}' +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

// Compiled Jinja templates, by source text.
const compiled = new Map<string, Template>();

/**
 * A conversation's text in the model's template, ending with the opening of the assistant's next reply when
 * `addAssistant` is set.
 */
export function renderChat(model: Model, messages: readonly ChatMessage[], addAssistant: boolean): string {
  const name = model.chatTemplate.name;
  if (!isJinja(name)) {
    return callNativeSync(() => native().applyChatTemplate(name, messages.map((m) => m.role), messages.map((m) => m.content), addAssistant));
  }
  const source = name === 'llama2' ? llama2Chat : (model.ggufChatTemplate as string);
  let template = compiled.get(source);
  try {
    if (!template) compiled.set(source, (template = new Template(source)));
    return template.render({
      ...model.chatTemplate.kwargs,
      messages,
      add_generation_prompt: addAssistant,
      bos_token: model.tokenPiece(model.bosToken),
      eos_token: model.tokenPiece(model.eosToken),
    });
  } catch (err) {
    throw new InvalidArgumentError('CHAT_TEMPLATE', `the model's chat template cannot lay out this conversation: ${(err as Error).message}`, { cause: err });
  }
}

/** The tokens of a template's text: BOS first where the vocabulary adds one, unless the text writes it. */
export function chatTextTokens(model: Model, text: string): number[] {
  const tokens = model.tokenize(text, { special: true });
  return !model.addsBos || tokens[0] === model.bosToken ? tokens : [model.bosToken, ...tokens];
}
