import type { Channel, Handles } from '../db/schema.ts'

export interface DemoTarget {
  name: string
  role: { fr: string, en: string, es: string }
  organisation: string
  /** ISO 3166-1 alpha-2 */
  country: string
  handles: Handles
  email: string | null
  groups: string[]
}

export interface DemoMessage {
  /** template with {target}, {hashtags} and {link} */
  body: string
  /** index in demoCampaign.targets when the variant is addressed to one target only */
  targetIndex?: number
}

export interface DemoTexts {
  title: string
  pitch: string
  callToAction: string
  shareText: string
  /** the thank-you page's call to share */
  shareCall: string
  hashtags: string[]
}

export interface DemoCampaign {
  slug: string
  defaultLocale: 'fr' | 'en' | 'es'
  /** the campaign's languages, in the order its page lists them */
  languages: ReadonlyArray<'fr' | 'en' | 'es'>
  goal: number
  channels: readonly Channel[]
  texts: { fr: DemoTexts, en: DemoTexts, es: DemoTexts }
  targets: DemoTarget[]
  messages: { fr: DemoMessage[], en: DemoMessage[], es: DemoMessage[] }
}

// Everything below is invented: the conference, the city, the people, their handles and addresses.
// Message bodies use a plain no-break space (U+00A0) before French high punctuation: every network shows it.

/** The demo campaign seeded by `bouteille seed-demo`: a climate-finance action at an invented UN climate conference. */
export const demoCampaign: DemoCampaign = {
  slug: 'tweetbouteille',
  defaultLocale: 'fr',
  // Spanish too, as Oxfam's #tweetbotella spoke it in Cancún.
  languages: ['fr', 'en', 'es'],
  goal: 500,
  channels: ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'] as const,
  texts: {
    fr: {
      title: 'Pertes et préjudices\u00a0: financez maintenant\u00a0!',
      pitch: 'À la conférence climat de Port-Séraphin, les gouvernements décident cette semaine qui paiera les dégâts du dérèglement climatique. Les pays qui les subissent le plus n’y sont presque pour rien. Écrivez aux décideurs\u00a0: les messages les plus forts seront imprimés et remis en mains propres, dans une bouteille géante, devant les délégations.',
      callToAction: 'Choisissez un décideur, envoyez votre message\u00a0: trente secondes suffisent.',
      shareText: 'J’ai écrit aux négociateurs de la COP pour qu’ils financent enfin les pertes et préjudices. À vous\u00a0! #tweetbouteille',
      shareCall: '#RTPlease\u00a0: faites passer la bouteille jusque dans les salles de négociation',
      hashtags: ['tweetbouteille']
    },
    en: {
      title: 'Fund loss and damage now!',
      pitch: 'At the Port-Séraphin climate conference, governments are deciding this week who pays for the damage of climate breakdown. The countries hit hardest did almost nothing to cause it. Write to the decision-makers: the strongest messages will be printed and handed over, inside a giant bottle, in front of the delegations.',
      callToAction: 'Pick a decision-maker, send your message: it takes thirty seconds.',
      shareText: 'I wrote to the COP negotiators asking them to fund loss and damage at last. Your turn! #tweetbottle',
      shareCall: '#RTPlease: pass the bottle on, all the way to the negotiating rooms',
      hashtags: ['tweetbottle']
    },
    es: {
      title: '¡Pérdidas y daños: financien ya!',
      pitch: 'En la conferencia sobre el clima de Port-Séraphin, los gobiernos deciden esta semana quién pagará los daños del cambio climático. Los países que más los sufren apenas los han causado. Escribe a quienes deciden: los mensajes más fuertes se imprimirán y se entregarán en mano, dentro de una botella gigante, delante de las delegaciones.',
      callToAction: 'Elige a una persona, envía tu mensaje: bastan treinta segundos.',
      shareText: 'He escrito a los negociadores de la COP para que financien por fin las pérdidas y daños. ¡Te toca! #tweetbotella',
      shareCall: '#RTPlease: pasa la botella hasta las salas de negociación',
      hashtags: ['tweetbotella']
    }
  },
  targets: [
    {
      name: 'Océane Marivaux',
      role: { fr: 'Ministre de la Transition écologique', en: 'Minister for the Ecological Transition', es: 'Ministra de Transición Ecológica' },
      organisation: 'Gouvernement français',
      country: 'FR',
      handles: { x: 'OceaneMarivaux', bluesky: 'oceanemarivaux.bsky.social', mastodon: 'oceane@climat.social', threads: 'oceane.marivaux' },
      email: 'cabinet.marivaux@example.org',
      groups: ['eu', 'g7']
    },
    {
      name: 'Henrik Tidevand',
      role: { fr: 'Commissaire européen à l’action pour le climat', en: 'European Commissioner for Climate Action', es: 'Comisario europeo de Acción por el Clima' },
      organisation: 'Commission européenne',
      country: 'DK',
      handles: { x: 'HenrikTidevand', bluesky: 'tidevand.bsky.social', mastodon: 'tidevand@eu-climat.social', threads: 'henrik.tidevand' },
      email: 'cab-tidevand@example.org',
      groups: ['eu']
    },
    {
      name: 'Lucía Marea Olas',
      role: { fr: 'Présidente de la COP', en: 'COP President', es: 'Presidenta de la COP' },
      organisation: 'Présidence de la conférence',
      country: 'CL',
      handles: { x: 'LuciaMareaOlas', bluesky: 'luciamarea.bsky.social', mastodon: 'presidencia@mareas.social', threads: 'lucia.marea.olas' },
      email: 'presidencia@example.net',
      groups: ['presidency']
    },
    {
      name: 'Jonathan Harbour-Wells',
      role: { fr: 'Envoyé spécial pour le climat', en: 'Special Envoy for Climate', es: 'Enviado especial para el clima' },
      organisation: 'Délégation des États-Unis',
      country: 'US',
      handles: { x: 'JHarbourWells', bluesky: 'harbourwells.bsky.social', mastodon: 'jhw@tidewater.social', threads: 'j.harbourwells' },
      email: 'envoy.office@example.net',
      groups: ['g7', 'major-emitters']
    },
    {
      name: 'Friederike Seeberg',
      role: { fr: 'Secrétaire d’État au climat', en: 'State Secretary for Climate', es: 'Secretaria de Estado de Clima' },
      organisation: 'Gouvernement fédéral allemand',
      country: 'DE',
      handles: { x: 'FSeeberg', bluesky: 'fseeberg.bsky.social', mastodon: 'seeberg@klima.social' },
      email: 'buero.seeberg@example.org',
      groups: ['eu', 'g7']
    },
    {
      name: 'Arthur Pennyfeather-Quay',
      role: { fr: 'Ministre d’État au climat', en: 'Minister of State for Climate', es: 'Ministro de Estado para el Clima' },
      organisation: 'Gouvernement britannique',
      country: 'GB',
      handles: { x: 'APennyfeather', bluesky: 'pennyfeather.bsky.social', mastodon: 'apq@harbour.social', threads: 'arthur.pennyfeather' },
      email: 'private.office.apq@example.org',
      groups: ['g7']
    },
    {
      name: 'Émile Deschamps-Flot',
      role: { fr: 'Ministre de l’Environnement et du Changement climatique', en: 'Minister of Environment and Climate Change', es: 'Ministra de Medio Ambiente y Cambio Climático' },
      organisation: 'Gouvernement du Canada',
      country: 'CA',
      handles: { x: 'EmileDeschamps', bluesky: 'deschampsflot.bsky.social', mastodon: 'edf@maree.social', threads: 'emile.deschampsflot' },
      email: 'ministre.deschamps@example.net',
      groups: ['g7']
    },
    {
      name: 'Kenji Umibe',
      role: { fr: 'Négociateur en chef', en: 'Chief Negotiator', es: 'Negociador jefe' },
      organisation: 'Délégation du Japon',
      country: 'JP',
      handles: { bluesky: 'kenjiumibe.bsky.social', mastodon: 'umibe@shiokaze.social' },
      email: 'negotiator.umibe@example.org',
      groups: ['g7', 'major-emitters']
    },
    {
      name: 'Rafael Costamar',
      role: { fr: 'Négociateur en chef', en: 'Chief Negotiator', es: 'Negociador jefe' },
      organisation: 'Délégation du Brésil',
      country: 'BR',
      handles: { x: 'RafaelCostamar', bluesky: 'costamar.bsky.social', mastodon: 'costamar@mare.social', threads: 'rafael.costamar' },
      email: null,
      groups: ['major-emitters']
    },
    {
      name: 'Nadia Benmarée',
      role: { fr: 'Ministre de la Transition énergétique', en: 'Minister for the Energy Transition', es: 'Ministro de Transición Energética' },
      organisation: 'Gouvernement du Maroc',
      country: 'MA',
      handles: { x: 'NadiaBenmaree', bluesky: 'benmaree.bsky.social', threads: 'nadia.benmaree' },
      email: 'cabinet.benmaree@example.net',
      groups: []
    }
  ],
  messages: {
    fr: [
      { body: '{target}, les pays qui ont le moins pollué paient déjà la facture du climat. Alimentez le fonds pertes et préjudices, maintenant et à la hauteur des besoins. {hashtags} {link}' },
      { body: '{target}, inondations, sécheresses, cyclones\u00a0: les dégâts n’attendent pas la fin des négociations. Ne quittez pas la COP sans argent frais pour les pertes et préjudices. {hashtags} {link}' },
      { body: '{target}, une promesse ne reconstruit ni une maison ni une récolte. Des fonds nouveaux, en dons et pas en prêts, pour les pertes et préjudices. {hashtags} {link}' },
      { body: '{target}, ce message voyage dans une bouteille avec des milliers d’autres\u00a0: financez les pertes et préjudices, les peuples en première ligne ne peuvent plus attendre. {hashtags} {link}' },
      { body: '{target}, que les pollueurs paient\u00a0: taxez les profits des énergies fossiles pour financer les pertes et préjudices des pays les plus exposés. {hashtags} {link}' },
      { body: '{target}, l’Europe a les moyens de montrer l’exemple\u00a0: annoncez à la COP une contribution nouvelle et additionnelle au fonds pertes et préjudices. {hashtags} {link}', targetIndex: 1 }
    ],
    en: [
      { body: '{target}, the countries that polluted least are already paying the climate bill. Fill the loss and damage fund now, at the scale of the need. {hashtags} {link}' },
      { body: '{target}, floods, droughts, cyclones: the damage does not wait for the talks to end. Do not leave the COP without fresh money for loss and damage. {hashtags} {link}' },
      { body: '{target}, a pledge rebuilds neither a home nor a harvest. New money, as grants not loans, for loss and damage. {hashtags} {link}' },
      { body: '{target}, this message travels in a bottle with thousands of others: fund loss and damage, people on the front line cannot wait any longer. {hashtags} {link}' },
      { body: '{target}, make polluters pay: tax fossil fuel profits to fund loss and damage in the most exposed countries. {hashtags} {link}' },
      { body: '{target}, Europe can afford to lead: announce a new and additional contribution to the loss and damage fund at this COP. {hashtags} {link}', targetIndex: 1 }
    ],
    es: [
      { body: '{target}, los países que menos han contaminado ya pagan la factura del clima. Doten el fondo de pérdidas y daños, ya y a la altura de lo necesario. {hashtags} {link}' },
      { body: '{target}, inundaciones, sequías, ciclones: los daños no esperan al final de las negociaciones. No salgan de la COP sin dinero nuevo para pérdidas y daños. {hashtags} {link}' },
      { body: '{target}, una promesa no reconstruye ni una casa ni una cosecha. Fondos nuevos, en donaciones y no en préstamos, para pérdidas y daños. {hashtags} {link}' },
      { body: '{target}, este mensaje viaja en una botella con miles de otros: financien las pérdidas y daños, los pueblos en primera línea no pueden esperar más. {hashtags} {link}' },
      { body: '{target}, que paguen quienes contaminan: graven los beneficios de los combustibles fósiles para financiar las pérdidas y daños de los países más expuestos. {hashtags} {link}' },
      { body: '{target}, Europa puede dar ejemplo: anuncie en esta COP una contribución nueva y adicional al fondo de pérdidas y daños. {hashtags} {link}', targetIndex: 1 }
    ]
  }
}
